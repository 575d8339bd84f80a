import FakeOpenRouter
import ImageScaling
import Foundation
import Media
import OpenRouter
import Runner
import Tasks
import Testing
import TestSupport

/// The libvips shrinker behind `downscaleInputs`: within the byte limit, aspect kept.
@Suite struct ImageDownscalerTests {
    @Test func anImageIsScaledDownUntilItFitsKeepingItsAspect() throws {
        let original = SampleImages.incompressiblePNG(bytes: 4_000_000, seed: 7)
        let size = try #require(ImageFormat.dimensions(original))
        let scaled = try ImageDownscaler.fit(original, path: "noise.png", maxBytes: 500_000)
        #expect(scaled.bytes.count <= 500_000 && scaled.bytes.count > 100_000, "\(scaled.bytes.count) bytes")
        #expect(scaled.mimeType == "image/jpeg" && ImageFormat.sniff(scaled.bytes) == .jpeg)
        let read = try #require(ImageFormat.dimensions(scaled.bytes))
        #expect(read.width == scaled.width && read.height == scaled.height)
        #expect(scaled.width < size.width && scaled.height < size.height)
        #expect(abs(Double(scaled.width) / Double(scaled.height) - Double(size.width) / Double(size.height)) < 0.01)
    }

    @Test func bytesThatAreNoImageAreATypedErrorNamingTheFile() {
        #expect(throws: DownscaleError.self) { try ImageDownscaler.fit(Array("not an image".utf8), path: "notes.png", maxBytes: 10) }
        do {
            _ = try ImageDownscaler.fit(Array("not an image".utf8), path: "notes.png", maxBytes: 10)
        } catch {
            #expect(error.description.contains("cannot downscale notes.png"))
        }
    }
    /// The key: a reference file the option shrinks is another request (its stamp says so);
    /// a file sent as it is keeps the key it had without the option, so turning it on for a
    /// batch buys nothing again for tasks whose files fit.
    @Test func theOptionChangesTheKeyOnlyOfTasksWithAFileToShrink() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let small = folder.write("small.png", bytes: [UInt8](repeating: 7, count: 1024))
        let big = folder.path + "/big.png"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 24_000_000)  // over the 20 MB a single reference may have
        try handle.close()
        func key(_ file: String, downscale: Bool) -> String {
            var task = ImageTask(
                id: "t", manifestName: "m", origin: TaskOrigin(file: "m.json", line: 1), output: OutputTarget(folder: "/nonexistent", baseName: "t"),
                prompt: "edit", model: ModelRef("google/gemini-2.5-flash-image")!, aspectRatio: nil, resolution: nil, imageConfig: nil,
                provider: nil, fallbackModels: nil, inputImages: [file], variant: 1)
            task.downscaleInputs = downscale
            return RunPlanner.identify(.image(task)).key
        }
        #expect(key(small, downscale: true) == key(small, downscale: false), "a file sent as it is bought again under the option")
        #expect(key(big, downscale: true) != key(big, downscale: false))
        #expect(key(big, downscale: true) == key(big, downscale: true))
    }
}

