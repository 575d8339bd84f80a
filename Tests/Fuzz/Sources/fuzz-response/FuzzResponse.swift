// fuzz-response: what mediabatch does with bytes that come back from the network.
//
//  - ImageResponse.decodeChat and decodeImages themselves, on the body as a 200 answer and
//    with the status the control byte picks, into buffers with and without headroom and
//    with the placement the control byte picks (so decoding moves payloads back into the
//    headroom, as a run does); every image they return is checked;
//  - the public pieces those decoders are made of, in the same order: LongStringCutter.cut
//    (threshold chosen by the input, so short strings get cut too), then JSONEncoding.parse
//    of the envelope, then, for every placeholder string found, Base64.decodeInPlace on the
//    cut range of the body (data-URL prefix skipped up to the first comma) and
//    ImageFormat.sniff/dimensions;
//  - ErrorClassifier.failure(status:body:retryAfter:) (the non-200 path of both decoders);
//  - SpeechResponse.generationCost;
//  - Base64.decode vs decodeInPlace, and encode/decode round trips;
//  - JSONEncoding.parse → encode → parse round trip.
//
// Input layout: byte 0 = threshold, status, headroom and placement selector; the rest is
// the body.
import FuzzMain
import HTTP
import JSON
import Media
import OpenRouter
import Support

@inline(never)
func fail(_ message: String) -> Never {
    print("fuzz-response invariant violated: \(message)")
    fatalError(message)
}

let statuses = [200, 400, 401, 402, 403, 404, 408, 429, 500, 502, 503, 524, 529]

func checkImage(_ bytes: UnsafeRawBufferPointer) {
    let array = [UInt8](bytes)
    let format = ImageFormat.sniff(bytes)
    if format != ImageFormat.sniff(array) { fail("sniff differs between buffer and array") }
    if let size = ImageFormat.dimensions(array) {
        if size.width < 0 || size.height < 0 { fail("negative dimensions") }
    }
}

/// Mirrors ImageResponse.decodeChat/decodeImages on a body (mutated in place, like theirs).
func decodeLikeTheClient(_ body: inout [UInt8], threshold: Int) {
    body.withUnsafeMutableBytes { raw in
        guard let cut = LongStringCutter.cut(UnsafeRawBufferPointer(raw), threshold: threshold) else { return }
        for range in cut.ranges {
            if range.lowerBound < 1 || range.upperBound > raw.count || range.isEmpty && threshold > 0 {
                fail("cut range \(range) outside a body of \(raw.count) bytes")
            }
            if raw[range.lowerBound - 1] != UInt8(ascii: "\"") || range.upperBound >= raw.count || raw[range.upperBound] != UInt8(ascii: "\"") {
                fail("cut range \(range) is not delimited by quotes")
            }
        }
        guard let envelope = try? JSONEncoding.parse(cut.envelope, source: "response") else { return }
        var placeholders: [Int] = []
        func walk(_ value: JSON) {
            switch value {
            case .string(let text): if let index = LongStringCutter.payloadIndex(text) { placeholders.append(index) }
            case .array(let items): items.forEach(walk)
            case .object(let object): for (_, member) in object { walk(member) }
            default: break
            }
        }
        walk(envelope)
        _ = envelope["choices"]?.arrayValue?.first?["message"]?["images"]
        _ = envelope["usage"]?["cost"]?.doubleValue
        // As in the client, a placeholder is trusted wherever it appears (a short string that
        // spells one too), so a range may be decoded in place more than once.
        for index in placeholders where index >= 0 && index < cut.ranges.count {
            var range = cut.ranges[index]
            // A data URL: skip "data:<mime>;base64," as decodeDataURL does.
            if let comma = raw[range].prefix(256).firstIndex(of: UInt8(ascii: ",")) { range = (comma + 1)..<range.upperBound }
            let slice = UnsafeMutableRawBufferPointer(rebasing: raw[range])
            if let count = try? Base64.decodeInPlace(slice) {
                if count < 0 || count > slice.count { fail("decodeInPlace returned \(count) for \(slice.count) bytes") }
                checkImage(UnsafeRawBufferPointer(rebasing: slice[0..<count]))
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let body = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))

    // 1. The image decoders' path (threshold 4096 as in production, or small to cut often).
    var copy = body
    decodeLikeTheClient(&copy, threshold: control & 1 == 0 ? LongStringCutter.defaultThreshold : Int(control >> 1) % 64)

    // 1b. The decoders themselves.
    for status in [200, statuses[Int(control) % statuses.count]] {
        for headroom in [0, 4096] {
            let placement = ImagePlacement(pngInsertedBytes: Int(control) * 37)
            for images in [false, true] {
                let storage = ByteArray(capacity: body.count, headroom: headroom)
                body.withUnsafeBytes { storage.append($0) }
                let response = HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: storage)
                let result = images
                    ? try? ImageResponse.decodeImages(response.head, body: response.body, placement: placement)
                    : try? ImageResponse.decodeChat(response.head, body: response.body, placement: placement)
                guard let result else { continue }
                if status != 200 { fail("a \(status) answer decoded as images") }
                if result.images.isEmpty { fail("a decoded answer without images") }
                for image in result.images {
                    if image.count <= 0 || image.count > body.count { fail("an image of \(image.count) bytes from a body of \(body.count)") }
                    image.withUnsafeBytes(checkImage)
                }
            }
        }
    }

    // 2. Error responses.
    let status = statuses[Int(control) % statuses.count]
    let failure = ErrorClassifier.failure(status: status, body: ByteArray(body), retryAfter: control & 2 == 0 ? nil : Double(control))
    _ = failure.description
    if failure.status != status { fail("classified status \(String(describing: failure.status)) != \(status)") }

    // 3. Generation cost lookups.
    _ = SpeechResponse.generationCost(ByteArray(body))

    // 4. Base64: the copying and the in-place decoder agree; decoded bytes round-trip.
    let viaCopy = try? Base64.decode(body)
    var inPlace = body
    let count = inPlace.withUnsafeMutableBytes { try? Base64.decodeInPlace($0) }
    if (viaCopy == nil) != (count == nil) { fail("Base64.decode and decodeInPlace disagree on validity") }
    if let viaCopy, let count {
        if Array(inPlace[0..<count]) != viaCopy { fail("Base64.decode and decodeInPlace disagree on bytes") }
        let again = try? Base64.decode(Base64.encode(viaCopy))
        if again != viaCopy { fail("Base64 encode/decode round trip lost bytes") }
        viaCopy.withUnsafeBytes(checkImage)
    }
    body.withUnsafeBytes(checkImage)

    // 5. JSON round trip through jansson.
    if let value = try? JSONEncoding.parse(body, source: "fuzz") {
        let encoded = JSONEncoding.encode(value)
        guard let reparsed = try? JSONEncoding.parse(encoded, source: "fuzz-reencoded") else {
            fail("jansson cannot parse its own encoding: \(String(decoding: encoded.prefix(200), as: UTF8.self))")
        }
        if reparsed != value { fail("JSON round trip changed the value: \(value.excerpt()) → \(reparsed.excerpt())") }
    }
    return 0
}

// SwiftPM links `main` to `fuzz_response_main`; hand over to libFuzzer's driver (see FuzzMain.h).
@_cdecl("fuzz_response_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mediabatch_fuzz_main(argc, argv)
}
