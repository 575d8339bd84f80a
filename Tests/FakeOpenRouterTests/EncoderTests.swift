@testable import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("Encoders and small parts")
struct EncoderTests {
    @Test("Base64 matches Foundation's, with and without escaped slashes")
    func base64() {
        var rng = SplitMix64(seed: 5)
        for length in [0, 1, 2, 3, 4, 5, 57, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let encoded = Base64.encode(bytes)
            #expect(String(decoding: encoded, as: UTF8.self) == Data(bytes).base64EncodedString())
            let escaped = String(decoding: Base64.escapingSlashes(encoded), as: UTF8.self)
            #expect(escaped.replacingOccurrences(of: "\\/", with: "/") == Data(bytes).base64EncodedString())
        }
    }

    @Test("Numbers are written like JSON.stringify: no exponent for costs")
    func numbers() {
        #expect(JSONOut.format(0.039) == "0.039")
        #expect(JSONOut.format(1.5e-05) == "0.000015")
        #expect(JSONOut.format(-2e-06) == "-0.000002")
        #expect(JSONOut.format(100) == "100.0")
        #expect(JSONOut.format(.nan) == "null")
        #expect(JSONOut.object([("a", .string("x/y\n\"")), ("b", .null)]).text(escapeSlashes: true) == #"{"a":"x\/y\n\"","b":null}"#)
    }

    @Test("Incompressible PNGs land within 1% of the requested size")
    func benchPNG() throws {
        for target in [5_000, 100_000, 1 << 20, 3_000_000] {
            let png = PNGEncoder.incompressible(targetBytes: target, seed: 1)
            #expect(abs(png.count - target) <= target / 100, "\(target): \(png.count)")
            #expect(parsePNG(png)?.crcsValid == true)
        }
    }

    @Test("JPEGs of awkward sizes decode cleanly")
    func jpegSizes() throws {
        for (width, height) in [(1, 1), (7, 9), (333, 17), (1024, 1024)] {
            let jpeg = JPEGEncoder.encode(ImagePattern(width: width, height: height, seed: 99))
            #expect(try decodesCleanly(jpeg, suffix: ".jpg"), "\(width)x\(height)")
        }
    }

    @Test("Directives are found anywhere in a prompt")
    func directives() {
        let parsed = Directives("A fox (#fake:images=3), #fake:jpeg. Also #fake:status=429!")
        #expect(parsed.images == 3 && parsed.jpeg && parsed.status == 429)
        #expect(!parsed.noImage && !parsed.mimeMismatch && !parsed.fail)
        #expect(Directives("#fake:status=abc").status == nil)
    }

    @Test("Every documented aspect ratio has its Gemini pixel size")
    func geometry() {
        #expect(ImageGeometry.pixels(ratio: "16:9", scale: 1) == (1344, 768))
        #expect(ImageGeometry.pixels(ratio: "9:16", scale: 2) == (1536, 2688))
        #expect(ImageGeometry.pixels(ratio: "8:1", scale: 0.5) == (1536, 192))
        for ratio in ImageGeometry.standardRatios + ImageGeometry.extremeRatios {
            #expect(ImageGeometry.sizes1K[ratio] != nil, "\(ratio)")
        }
        #expect(ImageGeometry.tier(width: 2048, height: 1152) == "2K")
        #expect(ImageGeometry.tier(width: 384, height: 3072) == "1K")
    }

    @Test("Fault draws depend only on seed, identity and attempt")
    func faultDraws() {
        let plan = FaultPlan(rate: 0.5, kinds: FaultKind.allCases, seed: 11, maxFaultedAttempts: 2)
        let first = (0..<200).map { Faults.draw(plan: plan, identity: UInt64($0), attempt: 1) }
        let second = (0..<200).map { Faults.draw(plan: plan, identity: UInt64($0), attempt: 1) }
        #expect(first == second)
        let hits = first.compactMap { $0 }.count
        #expect(hits > 60 && hits < 140)
        #expect((0..<200).allSatisfy { Faults.draw(plan: plan, identity: UInt64($0), attempt: 3) == nil })
        #expect(FaultKind.allCases.allSatisfy { FaultKind(cliName: $0.cliName) == $0 })
    }
}
