import JSON
import ManifestDiagnostics

/// The fields of an image task entry, and which of them `defaults.image` may set.
package enum ImageFields {
    package static let all: Set<String> = [
        "id", "type", "prompt", "count", "aspectRatio", "resolution", "model", "imageConfig",
        "provider", "models", "inputImages", "output", "api", "seed", "size", "quality", "outputFormat",
        "background", "reasoning", "rows", "optional", "promptFile", "prefix", "suffix",
    ]
    package static let defaultable: Set<String> = [
        "model", "aspectRatio", "resolution", "imageConfig", "provider", "models", "count", "api", "seed", "size",
        "quality", "outputFormat", "background", "reasoning", "prefix", "suffix",
    ]
    package static let maxCount = 100
    package static let maxInputImages = 16
    package static let maxInputImageBytes = 50 << 20
}
