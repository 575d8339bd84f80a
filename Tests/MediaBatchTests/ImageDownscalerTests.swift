import FakeOpenRouter
import ImageScaling
import Media
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
}
