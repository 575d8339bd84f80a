import FakeOpenRouter
import ImageScaling
import Media
import OpenRouter
import Tasks
import Testing

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
    /// The key: each reference file's stamp plus the option (shrunk bytes are another
    /// request); a task without reference files keeps the key it had.
    @Test func theOptionIsPartOfTheKeyOnlyWhereThereAreFiles() {
        var task = ImageTask(
            id: "t", manifestName: "m", origin: TaskOrigin(file: "m.json", line: 1), output: OutputTarget(folder: "/nonexistent", baseName: "t"),
            prompt: "edit", model: ModelRef("google/gemini-2.5-flash-image")!, aspectRatio: nil, resolution: nil, imageConfig: nil,
            provider: nil, fallbackModels: nil, inputImages: ["/in/big.png"], variant: 1)
        let stamps = ["/in/big.png 24000000 1700000000.0"]
        let plain = RequestKey.of(.image(task), referenceStamps: stamps)
        let plainWithout = RequestKey.of(.image(task), referenceStamps: [])
        task.downscaleInputs = true
        #expect(RequestKey.of(.image(task), referenceStamps: stamps) != plain)
        #expect(RequestKey.of(.image(task), referenceStamps: stamps) == RequestKey.of(.image(task), referenceStamps: stamps))
        #expect(RequestKey.of(.image(task), referenceStamps: []) == plainWithout)
    }
}

