import HTTP
import JSON
import Media
import Support
import Tasks

/// One image a response carried, decoded and checked against its claimed type. Its bytes
/// usually lie inside the response body, where the base64 text was decoded in place.
public struct GeneratedImage {
    public let format: ImageFormat
    package let storage: ByteArray
    /// Where the bytes lie relative to the storage's content (possibly in its headroom).
    package let range: Range<Int>

    public var count: Int { range.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes(from: range.lowerBound, count: range.count, body)
    }

    public var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}

/// Where an image's decoded bytes should start in memory so that its file can be written
/// from them with direct I/O, without a copy (see `DirectWriter`): a byte that lands at file
/// offset `o` must sit at an address congruent to `o` modulo the block size. Images are
/// written as decoded, except that a PNG gets its metadata chunk (`pngInsertedBytes` long)
/// after IHDR, which shifts the rest of the file by that much.
/// It also carries the largest image accepted, the one bound a decoder checks per image.
public struct ImagePlacement: Sendable {
    public var pngInsertedBytes: Int
    /// A decoded image larger than this fails its task (`--max-image-mib`).
    public var maxImageBytes: Int

    public static let defaultMaxImageBytes = 128 << 20

    public init(pngInsertedBytes: Int = 0, maxImageBytes: Int = ImagePlacement.defaultMaxImageBytes) {
        self.pngInsertedBytes = pngInsertedBytes
        self.maxImageBytes = maxImageBytes
    }

    /// The wanted address of the first byte, modulo the block size, for an image of `mime`.
    package func phase(forMIME mime: String?) -> Int {
        mime.flatMap(ImageFormat.init(mimeType:)) == .png ? pngInsertedBytes % ByteArray.directIOAlignment : 0
    }
}

/// The useful content of a successful image response.
public struct ImageResult {
    public let images: [GeneratedImage]
    public let cost: Double?
    public let generationID: String?
    public let model: String?
    public let text: String?
}

/// Decodes OpenRouter image responses without letting jansson lex the payloads: the long
/// base64 strings are cut out of the raw body, jansson parses the small envelope, and each
/// payload is decoded straight from the body's bytes.
public enum ImageResponse {
    /// Decodes a `/chat/completions` response (any status). Image bytes are decoded in place
    /// inside the response body, so they live as long as that body.
    public static func decodeChat(_ head: HTTPResponseHead, body: ByteArray, placement: ImagePlacement = .init()) throws(TaskFailure) -> ImageResult {
        try withEnvelope(head, body) { body, storage, cut, envelope throws(TaskFailure) in
            let space = PayloadSpace(cut.ranges, headroom: storage.headroom)
            let billed = envelope["usage"]?["cost"]?.doubleValue
            // An error at the top level wins, next to choices or not.
            if let error = envelope["error"] {
                var failure = ErrorClassifier.failure(inBodyError: error, headers: head.headers)
                failure.billedCost = billed
                throw failure
            }
            guard let choices = envelope["choices"]?.arrayValue else {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "response has no choices")
            }
            var images: [GeneratedImage] = []
            var texts: [String] = []
            var finishReasons: [String] = []
            var nativeReasons: [String] = []
            for choice in choices {
                if let reason = choice["finish_reason"]?.stringValue { finishReasons.append(reason) }
                if let native = choice["native_finish_reason"]?.stringValue { nativeReasons.append(native) }
                if choice["finish_reason"]?.stringValue == "error" {
                    throw ErrorClassifier.failure(inChoiceError: choice["error"], status: 200)
                }
                if let text = choice["message"]?["content"]?.stringValue, !text.isEmpty { texts.append(text) }
                for image in choice["message"]?["images"]?.arrayValue ?? [] {
                    guard let url = image["image_url"]?["url"]?.stringValue else { continue }
                    images.append(try decodeDataURL(url, body: body, storage: storage, space: space, placement: placement))
                }
            }
            let text = texts.isEmpty ? nil : texts.joined(separator: "\n")
            guard !images.isEmpty else {
                var details: [String: String] = [:]
                if !finishReasons.isEmpty { details["finish_reason"] = finishReasons.joined(separator: ",") }
                if !nativeReasons.isEmpty { details["native_finish_reason"] = nativeReasons.joined(separator: ",") }
                if let text { details["text"] = String(text.prefix(300)) }
                throw Refusals.failure(finishReasons: finishReasons, nativeReasons: nativeReasons, details: details, billed: billed)
            }
            return ImageResult(
                images: images, cost: envelope["usage"]?["cost"]?.doubleValue, generationID: envelope["id"]?.stringValue,
                model: envelope["model"]?.stringValue, text: text)
        }
    }

    /// Decodes a `POST /images` response: `data[].b64_json` with `media_type` (the bytes
    /// decide when it is missing), `usage.cost`. Payloads are decoded in place, as on chat.
    public static func decodeImages(_ head: HTTPResponseHead, body: ByteArray, placement: ImagePlacement = .init()) throws(TaskFailure) -> ImageResult {
        try withEnvelope(head, body) { body, storage, cut, envelope throws(TaskFailure) in
            let space = PayloadSpace(cut.ranges, headroom: storage.headroom)
            guard let data = envelope["data"]?.arrayValue else {
                if let error = envelope["error"] { throw ErrorClassifier.failure(inChoiceError: error, status: 200) }
                throw TaskFailure(.transient, cause: .response, status: 200, message: "response has no data")
            }
            var images: [GeneratedImage] = []
            for item in data {
                guard let payload = item["b64_json"]?.stringValue else { continue }
                let mime = item["media_type"]?.stringValue
                if let index = LongStringCutter.payloadIndex(payload), index < cut.ranges.count {
                    guard !space.isDecoded(index) else { throw PayloadSpace.reused }
                    let image = try decodePayload(
                        in: body, range: cut.ranges[index], floor: space.floor(before: index), storage: storage,
                        claimedMIME: mime, placement: placement)
                    space.decoded(index, endingAt: image.range.upperBound)
                    images.append(image)
                } else {
                    let own = ByteArray(Array(payload.utf8))
                    images.append(try own.withUnsafeMutableBytes { (raw) throws(TaskFailure) -> GeneratedImage in
                        try decodePayload(in: raw, range: 0..<raw.count, floor: 0, storage: own, claimedMIME: mime, placement: placement)
                    })
                }
            }
            guard !images.isEmpty else {
                var failure = TaskFailure(.noImages, cause: .response, status: 200, message: "the response held no image")
                failure.billedCost = envelope["usage"]?["cost"]?.doubleValue
                throw failure
            }
            // /images answers carry no `id`: the generation id comes in `X-Generation-Id`.
            let generationID = envelope["id"]?.stringValue ?? head.header("x-generation-id")
            return ImageResult(images: images, cost: envelope["usage"]?["cost"]?.doubleValue, generationID: generationID, model: nil, text: nil)
        }
    }

    /// Checks the status, cuts the payloads out of the body and parses the small envelope;
    /// `decode` reads it, with the body at hand to decode payloads in place.
    private static func withEnvelope(
        _ response: HTTPResponseHead, _ storage: ByteArray,
        _ decode: (UnsafeMutableRawBufferPointer, ByteArray, LongStringCutter.Result, JSON) throws(TaskFailure) -> ImageResult
    ) throws(TaskFailure) -> ImageResult {
        guard response.status == 200 else {
            throw ErrorClassifier.failure(status: response.status, body: storage, retryAfter: response.retryAfter, headers: response.headers)
        }
        return try storage.withUnsafeMutableBytes { (body) throws(TaskFailure) -> ImageResult in
            guard let cut = LongStringCutter.cut(UnsafeRawBufferPointer(body)) else {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "truncated response body (\(body.count) bytes)")
            }
            let envelope: JSON
            do { envelope = try JSONEncoding.parse(cut.envelope, source: "response") } catch let error as JSONParseError {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "malformed response body: \(error.message)")
            } catch {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "malformed response body")
            }
            // An answer refused after it arrived (a bad payload, an image past its limit) was
            // still generated and billed: its failure carries the answer's cost.
            do throws(TaskFailure) { return try decode(body, storage, cut, envelope) } catch {
                var failure = error
                if failure.billedCost == nil { failure.billedCost = envelope["usage"]?["cost"]?.doubleValue }
                throw failure
            }
        }
    }

    /// Decodes `data:<mime>;base64,<payload>`, either cut from the body (decoded in place
    /// there) or left in the envelope (decoded into a buffer of its own).
    package static func decodeDataURL(
        _ url: String, body: UnsafeMutableRawBufferPointer, storage: ByteArray, space: PayloadSpace,
        placement: ImagePlacement = .init()
    ) throws(TaskFailure) -> GeneratedImage {
        if let index = LongStringCutter.payloadIndex(url), index < space.ranges.count {
            guard !space.isDecoded(index) else { throw PayloadSpace.reused }
            let image = try decodeDataURL(in: body, range: space.ranges[index], floor: space.floor(before: index), storage: storage, placement: placement)
            space.decoded(index, endingAt: image.range.upperBound)
            return image
        }
        let own = ByteArray(Array(url.utf8))
        return try own.withUnsafeMutableBytes { (raw) throws(TaskFailure) -> GeneratedImage in
            try decodeDataURL(in: raw, range: 0..<raw.count, floor: 0, storage: own, placement: placement)
        }
    }


    /// `range` of `buffer` is a data URL's text as it stands in JSON (so possibly with `\/`).
    package static func decodeDataURL(
        in buffer: UnsafeMutableRawBufferPointer, range: Range<Int>, floor: Int, storage: ByteArray, placement: ImagePlacement = .init()
    ) throws(TaskFailure) -> GeneratedImage {
        let head = UnsafeRawBufferPointer(rebasing: buffer[range]).prefix(256)
        guard let comma = head.firstIndex(of: UInt8(ascii: ",")) else {
            throw TaskFailure(.permanent, cause: .response, status: 200, message: "image is not a data URL")
        }
        let prefix = String(decoding: head[..<comma].filter { $0 != UInt8(ascii: "\\") }, as: UTF8.self)
        guard prefix.hasPrefix("data:"), prefix.hasSuffix(";base64") else {
            throw TaskFailure(.permanent, cause: .response, status: 200, message: "image is not a base64 data URL (\(prefix.prefix(40)))")
        }
        let mime = String(prefix.dropFirst(5).dropLast(7))
        return try decodePayload(
            in: buffer, range: (range.lowerBound + comma + 1)..<range.upperBound, floor: floor, storage: storage,
            claimedMIME: mime, placement: placement)
    }

    /// Decodes base64 in place and checks the bytes against the MIME type the server
    /// claimed (nil: trust the bytes). The bytes may start up to a block before the text
    /// (never before `floor`), where `placement` wants them.
    package static func decodePayload(
        in buffer: UnsafeMutableRawBufferPointer, range: Range<Int>, floor: Int, storage: ByteArray, claimedMIME: String?,
        placement: ImagePlacement = .init()
    ) throws(TaskFailure) -> GeneratedImage {
        let base = buffer.baseAddress!
        let address = UInt(bitPattern: base + range.lowerBound)
        let phase = placement.phase(forMIME: claimedMIME ?? peekMIME(UnsafeRawBufferPointer(rebasing: buffer[range])))
        let back = Int((address &- UInt(phase)) % UInt(ByteArray.directIOAlignment))
        // `floor` may be negative: the storage's headroom.
        let start = range.lowerBound - back >= floor ? range.lowerBound - back : range.lowerBound
        let count: Int
        do { count = try Base64.decodeInPlace(UnsafeMutableRawBufferPointer(rebasing: buffer[range]), movingTo: base + start) } catch {
            throw TaskFailure(.transient, cause: .response, status: 200, message: "image payload is not valid base64: \(error)")
        }
        guard count <= placement.maxImageBytes else {
            throw TaskFailure(.permanent, cause: .response, status: 200, message: "the image is \(Self.mebibytes(count)) MiB, more than the limit of \(Self.mebibytes(placement.maxImageBytes)) MiB (--max-image-mib)")
        }
        let decoded = start..<(start + count)
        guard let sniffed = ImageFormat.sniff(UnsafeRawBufferPointer(start: base + start, count: count)) else {
            throw TaskFailure(.permanent, cause: .response, status: 200, message: "image bytes are not PNG, JPEG, WebP or GIF")
        }
        if let claimedMIME {
            guard let claimed = ImageFormat(mimeType: claimedMIME) else {
                throw TaskFailure(.permanent, cause: .response, status: 200, message: "unsupported image type \(claimedMIME)")
            }
            guard claimed == sniffed else {
                throw TaskFailure(.permanent, cause: .response, status: 200, message: "image claims \(claimedMIME) but its bytes are \(sniffed.mimeType)")
            }
        }
        return GeneratedImage(format: sniffed, storage: storage, range: decoded)
    }
}

extension ImageResponse {
    /// The type the first bytes of a payload spell, when no type was claimed (the
    /// placement depends on it); nil when they do not tell or are escaped.
    package static func peekMIME(_ text: UnsafeRawBufferPointer) -> String? {
        guard text.count >= 16 else { return nil }
        let head = UnsafeRawBufferPointer(rebasing: text[text.startIndex..<(text.startIndex + 16)])
        guard !head.contains(UInt8(ascii: "\\")), let bytes = try? Base64.decode(head) else { return nil }
        return ImageFormat.sniff(bytes)?.mimeType
    }

    package static func mebibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}

/// Which bytes of a response body a payload may be decoded into. Once the envelope is
/// copied out, only the payloads' texts and the images already decoded matter: payload `n`
/// may use everything after payload `n - 1` (its decoded bytes when decoded, else its text),
/// and the body's headroom when it is the first. Decoding order does not matter.
package final class PayloadSpace {
    package let ranges: [Range<Int>]
    private let headroom: Int
    private var decodedEnds: [Int?]

    package init(_ ranges: [Range<Int>], headroom: Int) {
        self.ranges = ranges
        self.headroom = headroom
        decodedEnds = Array(repeating: nil, count: ranges.count)
    }

    package func floor(before index: Int) -> Int {
        guard index > 0 else { return -headroom }
        return decodedEnds[index - 1] ?? ranges[index - 1].upperBound
    }

    /// True once payload `index` has been decoded: its text is gone, so a second string
    /// naming it (a server can send `"\u0000payload:0"` literally) must be refused.
    package func isDecoded(_ index: Int) -> Bool { decodedEnds[index] != nil }

    package func decoded(_ index: Int, endingAt end: Int) { decodedEnds[index] = end }

    package static let reused = TaskFailure(.transient, cause: .response, status: 200, message: "malformed response body: an image names a payload already used")
}
