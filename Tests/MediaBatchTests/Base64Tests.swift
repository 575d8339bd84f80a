import JSON
import Media
import Testing

@Suite struct Base64Tests {
    @Test func roundTripsEveryLength() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.count == (length + 2) / 3 * 4)
            #expect(try Base64.decode(encoded) == bytes)
        }
    }

    @Test func knownVectors() throws {
        #expect(String(decoding: Base64.encode(Array("foobar".utf8)), as: UTF8.self) == "Zm9vYmFy")
        #expect(String(decoding: Base64.encode(Array("fo".utf8)), as: UTF8.self) == "Zm8=")
        #expect(try Base64.decode(Array("Zm9vYg==".utf8)) == Array("foob".utf8))
        #expect(try Base64.decode(Array("Zm9vYg".utf8)) == Array("foob".utf8))
    }

    @Test func decodesJSONEscapedSlashes() throws {
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFB, 0xEF, 0xBE]  // "////++++"
        let plain = Base64.encode(bytes)
        #expect(String(decoding: plain, as: UTF8.self) == "////++++")
        let escaped = Array(#"\/\/\/\/++++"#.utf8)
        #expect(try Base64.decode(escaped) == bytes)
        let withBreaks = Array(#"////\n++++\r\n"#.utf8)
        #expect(try Base64.decode(withBreaks) == bytes)
    }

    @Test func rejectsGarbage() {
        #expect(throws: Base64.DecodingError.self) { try Base64.decode(Array("Zm9v!mFy".utf8)) }
        #expect(throws: Base64.DecodingError.self) { try Base64.decode(Array("Zm9vY".utf8)) }
        #expect(throws: Base64.DecodingError.self) { try Base64.decode(Array(#"Zm9\"vYmFy"#.utf8)) }
    }
}

@Suite struct LongStringCutterTests {
    @Test func cutsOnlyLongStringsAndKeepsTheRest() throws {
        let payload = String(repeating: "QUJD", count: 2000)
        let body = #"{"a":"short","b":"\#(payload)","c":["x\"y","\#(payload)"]}"#
        let bytes = Array(body.utf8)
        let cut = try #require(bytes.withUnsafeBytes { LongStringCutter.cut($0, threshold: 100) })
        #expect(cut.ranges.count == 2)
        for range in cut.ranges { #expect(String(decoding: bytes[range], as: UTF8.self) == payload) }
        let envelope = try JSONEncoding.parse(cut.envelope, source: "t")
        #expect(envelope["a"] == "short")
        #expect(LongStringCutter.payloadIndex(envelope["b"]?.stringValue ?? "") == 0)
        #expect(envelope["c"]?.arrayValue?[0] == "x\"y")
        #expect(LongStringCutter.payloadIndex(envelope["c"]?.arrayValue?[1].stringValue ?? "") == 1)
    }

    @Test func escapedQuotesAndBackslashesDoNotEndAString() throws {
        let long = String(repeating: "a", count: 50) + #"\\"# + String(repeating: "b", count: 50) + #"\""# + "c"
        let body = #"{"k":"\#(long)","z":1}"#
        let bytes = Array(body.utf8)
        let cut = try #require(bytes.withUnsafeBytes { LongStringCutter.cut($0, threshold: 10) })
        #expect(cut.ranges.count == 1)
        #expect(String(decoding: bytes[cut.ranges[0]], as: UTF8.self) == long)
        #expect(try JSONEncoding.parse(cut.envelope, source: "t")["z"] == 1)
    }

    @Test func unterminatedStringMeansTruncated() {
        let bytes = Array(#"{"k":"abcdef"#.utf8)
        #expect(bytes.withUnsafeBytes { LongStringCutter.cut($0, threshold: 2) } == nil)
    }
}
