import Dispatch
import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// The shared helpers are judges for every other test, so they get tests of their own: a PNG
/// check that accepted anything, or a runner that hung, would make the suite lie.
@Suite("TestSupport helpers")
struct TestSupportTests {
    @Test("crc32 gives the standard check value")
    func crcCheckValue() {
        #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(crc32([UInt8]()) == 0)
    }

    @Test("parsePNG and pngSize accept a whole PNG and refuse cut, damaged or padded ones")
    func pngChecks() throws {
        let server = try startServer()
        defer { server.stop() }
        let answer = try post(server, "/chat/completions", chatBody(imageConfig: ["aspect_ratio": "16:9"]))
        let png = try #require(chatImages(answer).first?.bytes)
        let info = try #require(parsePNG(png))
        #expect(info.isComplete && info.width == 1344 && info.height == 768)
        #expect(pngChunks(png)?.map(\.type) == info.chunkTypes)

        let folder = TempFolder()
        defer { folder.remove() }
        #expect(pngSize(folder.write("whole.png", bytes: png))! == (1344, 768))

        // Cut inside the image data, inside the last chunk, and after a whole chunk (no IEND).
        #expect(parsePNG(Array(png.prefix(png.count / 2))) == nil)
        #expect(pngSize(folder.write("half.png", bytes: Array(png.prefix(png.count / 2)))) == nil)
        #expect(parsePNG(Array(png.dropLast(3)))?.crcsValid == false)
        #expect(pngSize(folder.write("cut.png", bytes: Array(png.dropLast(3)))) == nil)
        #expect(parsePNG(Array(png.dropLast(12)))?.isComplete == false)
        #expect(pngSize(folder.write("no-iend.png", bytes: Array(png.dropLast(12)))) == nil)
        // One byte changed inside the image data: same length, a CRC no longer matches.
        var damaged = png
        damaged[damaged.count / 2] ^= 0x01
        #expect(parsePNG(damaged)?.crcsValid == false)
        #expect(pngSize(folder.write("damaged.png", bytes: damaged)) == nil)
        // Bytes after IEND.
        #expect(parsePNG(png + [0, 0, 0])?.crcsValid == false)
        #expect(pngSize(folder.write("padded.png", bytes: png + [0, 0, 0])) == nil)
        // Not a PNG at all.
        #expect(parsePNG(Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 64)) == nil)
        #expect(pngSize(folder.path + "/missing.png") == nil)
    }

    @Test("runTool drains stdout and stderr at once: a child filling both pipes still ends")
    func runToolDoesNotDeadlock() throws {
        // 1 MiB to stderr before anything to stdout: a runner that read stdout to its end
        // first would wait forever on a child blocked writing the full stderr pipe.
        let script = "head -c 1048576 /dev/zero | tr '\\0' e >&2; head -c 1048576 /dev/zero | tr '\\0' o; exit 3"
        let finished = DispatchSemaphore(value: 0)
        let outcome = ResultBox()
        DispatchQueue.global().async {
            outcome.set(Result { try runTool("/bin/sh", ["-c", script]) })
            finished.signal()
        }
        try #require(finished.wait(timeout: .now() + hangDeadline) == .success, "runTool hung on a child writing to both pipes")
        let result = try #require(try outcome.get()?.get())
        #expect(result.status == 3)
        #expect(result.stderr.utf8.count == 1 << 20 && result.stderr.allSatisfy { $0 == "e" })
        #expect(result.stdout.utf8.count == 1 << 20 && result.stdout.allSatisfy { $0 == "o" })
    }

    @Test("A seed gives the same stream every time; seeds parse as decimal or 0x hex")
    func seeds() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        var other = SeededRandom(seed: 43)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in second.next() })
        #expect(a != (0..<8).map { _ in other.next() })
        #expect(Set(a).count == 8)
        var ranged = SeededRandom(seed: 7)
        var again = SeededRandom(seed: 7)
        #expect((0..<20).map { _ in Int.random(in: 5...12, using: &ranged) } == (0..<20).map { _ in Int.random(in: 5...12, using: &again) })
        #expect(TestSeed.parse("12345") == 12345)
        #expect(TestSeed.parse(" 0xFF ") == 255)
        #expect(TestSeed.parse("18446744073709551615") == UInt64.max)
        #expect(TestSeed.parse("-1") == nil)
        #expect(TestSeed.parse("seed") == nil)
    }
}

/// The runner's result handed over from the thread that waited for it.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<ProcessResult, any Error>?

    func set(_ result: Result<ProcessResult, any Error>) { lock.withLock { value = result } }
    func get() -> Result<ProcessResult, any Error>? { lock.withLock { value } }
}
