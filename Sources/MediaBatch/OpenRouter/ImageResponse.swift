/// One image a response carried, decoded and checked against its claimed type.
public struct GeneratedImage: Sendable {
    public let format: ImageFormat
    public let bytes: [UInt8]
}

/// The useful content of a successful image response.
public struct ImageResult: Sendable {
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
    /// Decodes a `/chat/completions` response (any status). Releases the body's memory as
    /// soon as the payloads are decoded.
    public static func decodeChat(_ response: HTTPResponse) throws(TaskFailure) -> ImageResult {
        guard response.status == 200 else {
            throw ErrorClassifier.failure(status: response.status, body: response.body, retryAfter: response.retryAfter)
        }
        defer { response.body.release() }
        return try response.body.withUnsafeBytes { (body) throws(TaskFailure) -> ImageResult in
            guard let cut = LongStringCutter.cut(body) else {
                throw TaskFailure(.transient, status: 200, message: "truncated response body (\(body.count) bytes)")
            }
            let envelope: JSON
            do { envelope = try JSONEncoding.parse(cut.envelope, source: "response") } catch let error as JSONParseError {
                throw TaskFailure(.transient, status: 200, message: "malformed response body: \(error.message)")
            } catch {
                throw TaskFailure(.transient, status: 200, message: "malformed response body")
            }
            guard let choices = envelope["choices"]?.arrayValue else {
                if let error = envelope["error"] {
                    throw ErrorClassifier.failure(inChoiceError: error, status: 200)
                }
                throw TaskFailure(.transient, status: 200, message: "response has no choices")
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
                    images.append(try decodeDataURL(url, body: body, ranges: cut.ranges))
                }
            }
            let text = texts.isEmpty ? nil : texts.joined(separator: "\n")
            guard !images.isEmpty else {
                var details: [String: String] = [:]
                if !finishReasons.isEmpty { details["finish_reason"] = finishReasons.joined(separator: ",") }
                if !nativeReasons.isEmpty { details["native_finish_reason"] = nativeReasons.joined(separator: ",") }
                if let text { details["text"] = String(text.prefix(300)) }
                throw TaskFailure(.noImages, status: 200, message: "the response held no image", details: details)
            }
            return ImageResult(
                images: images, cost: envelope["usage"]?["cost"]?.doubleValue, generationID: envelope["id"]?.stringValue,
                model: envelope["model"]?.stringValue, text: text)
        }
    }

    /// Decodes `data:<mime>;base64,<payload>`, either cut from the body or left in the envelope.
    static func decodeDataURL(_ url: String, body: UnsafeRawBufferPointer, ranges: [Range<Int>]) throws(TaskFailure) -> GeneratedImage {
        if let index = LongStringCutter.payloadIndex(url), index < ranges.count {
            return try decodeDataURL(UnsafeRawBufferPointer(rebasing: body[ranges[index]]))
        }
        let bytes = Array(url.utf8)
        return try bytes.withUnsafeBytes { raw in Result { () throws(TaskFailure) in try decodeDataURL(raw) } }.get()
    }

    /// `text` is the string's content as it stands in JSON (so possibly with `\/` escapes).
    static func decodeDataURL(_ text: UnsafeRawBufferPointer) throws(TaskFailure) -> GeneratedImage {
        let head = text.prefix(256)
        guard let comma = head.firstIndex(of: UInt8(ascii: ",")) else {
            throw TaskFailure(.permanent, status: 200, message: "image is not a data URL")
        }
        let prefix = String(decoding: head[..<comma].filter { $0 != UInt8(ascii: "\\") }, as: UTF8.self)
        guard prefix.hasPrefix("data:"), prefix.hasSuffix(";base64") else {
            throw TaskFailure(.permanent, status: 200, message: "image is not a base64 data URL (\(prefix.prefix(40)))")
        }
        let mime = String(prefix.dropFirst(5).dropLast(7))
        return try decodePayload(UnsafeRawBufferPointer(rebasing: text[(comma + 1)...]), claimedMIME: mime)
    }

    /// Decodes base64 image bytes and checks them against the MIME type the server claimed
    /// (nil: trust the bytes).
    static func decodePayload(_ base64: UnsafeRawBufferPointer, claimedMIME: String?) throws(TaskFailure) -> GeneratedImage {
        let bytes: [UInt8]
        do { bytes = try Base64.decode(base64) } catch {
            throw TaskFailure(.transient, status: 200, message: "image payload is not valid base64: \(error)")
        }
        guard let sniffed = ImageFormat.sniff(bytes) else {
            throw TaskFailure(.permanent, status: 200, message: "image bytes are not PNG, JPEG, WebP or GIF")
        }
        if let claimedMIME {
            guard let claimed = ImageFormat(mimeType: claimedMIME) else {
                throw TaskFailure(.permanent, status: 200, message: "unsupported image type \(claimedMIME)")
            }
            guard claimed == sniffed else {
                throw TaskFailure(.permanent, status: 200, message: "image claims \(claimedMIME) but its bytes are \(sniffed.mimeType)")
            }
        }
        return GeneratedImage(format: sniffed, bytes: bytes)
    }
}
