import JSON
import ManifestDiagnostics

/// The fields of an image task entry, and which of them `defaults.image` may set.
package enum ImageFields {
    package static let all: Set<String> = [
        "id", "type", "prompt", "count", "aspectRatio", "resolution", "model", "imageConfig",
        "provider", "models", "inputImages", "output", "api", "seed", "size", "quality", "outputFormat",
        "background", "reasoning", "rows", "optional", "promptFile", "prefix", "suffix", "downscaleInputs",
    ]
    package static let defaultable: Set<String> = [
        "model", "aspectRatio", "resolution", "imageConfig", "provider", "models", "count", "api", "seed", "size",
        "quality", "outputFormat", "background", "reasoning", "prefix", "suffix", "downscaleInputs",
    ]
    package static let maxCount = 100
    package static let maxInputImages = 16
    /// OpenRouter's limits: a reference image of at most 20 MB (larger downloads get 413), and
    /// a request body of at most 50 MiB (the images travel base64, 4/3 of their size).
    package static let maxInputImageBytes = 20_000_000
    package static let maxRequestBodyBytes = 50 << 20
    /// With `downscaleInputs`, the largest reference file accepted (and read to be shrunk).
    package static let maxDownscaleSourceBytes = 200 << 20

    /// With `downscaleInputs`, the most bytes each of `count` reference files may have once
    /// shrunk: 20 MB, and together one request body within 50 MiB as base64.
    package static func downscaleTarget(count: Int) -> Int {
        let count = max(count, 1)
        let share = (maxRequestBodyBytes - 4096 - 128 * count) / count / 4 * 3
        return min(maxInputImageBytes, share)
    }

    /// The bytes a request body needs for reference images of these sizes (base64, plus the
    /// data-URL prefix and JSON around each).
    package static func encodedBytes(_ sizes: [Int]) -> Int { sizes.reduce(0) { $0 + ($1 + 2) / 3 * 4 + 128 } }
}
