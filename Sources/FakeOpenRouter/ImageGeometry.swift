import Foundation

/// Aspect ratios, size tiers and the exact pixel sizes OpenRouter's image models produce,
/// shared by `/chat/completions` (`image_config`) and `/images` (`aspect_ratio`, `resolution`, `size`).
enum ImageGeometry {
    /// Pixel sizes at 1K, as Gemini documents them.
    static let sizes1K: [String: (width: Int, height: Int)] = [
        "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184),
        "4:3": (1184, 864), "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344),
        "16:9": (1344, 768), "21:9": (1536, 672), "1:4": (512, 2048), "4:1": (2048, 512),
        "1:8": (384, 3072), "8:1": (3072, 384),
    ]

    /// Ratios every image model accepts in `image_config.aspect_ratio`.
    static let standardRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    /// Extra ratios only `google/gemini-3.1-flash-image-preview` accepts.
    static let extremeRatios = ["1:4", "4:1", "1:8", "8:1"]
    /// `image_config.image_size` values; `0.5K` only on gemini-3.1-flash-image-preview.
    static let chatSizes = ["1K", "2K", "4K"]
    static let flashOnlySize = "0.5K"
    /// The models that take the extreme ratios and 0.5K: the preview and its release.
    static let flash31: Set<String> = ["google/gemini-3.1-flash-image-preview", "google/gemini-3.1-flash-image"]

    /// `/images` accepts the schema's enum.
    static let imagesEndpointRatios = [
        "1:1", "1:2", "1:4", "1:8", "2:1", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1",
        "9:16", "16:9", "9:19.5", "19.5:9", "9:20", "20:9", "9:21", "21:9", "auto",
    ]
    static let imagesEndpointResolutions = ["512", "1K", "2K", "4K"]

    static func ratios(for model: String) -> [String] {
        flash31.contains(model) ? standardRatios + extremeRatios : standardRatios
    }

    static func chatImageSizes(for model: String) -> [String] {
        flash31.contains(model) ? [flashOnlySize] + chatSizes : chatSizes
    }

    /// Scale of a tier relative to 1K ("0.5K" and "512" are half).
    static func scale(ofTier tier: String) -> Double? {
        switch tier {
        case "0.5K", "512": return 0.5
        case "1K": return 1
        case "2K": return 2
        case "4K": return 4
        default: return nil
        }
    }

    /// Pixel size for a ratio at a tier scale; ratios outside the Gemini table keep ~1024^2
    /// pixels at 1K, rounded to multiples of 16.
    static func pixels(ratio: String, scale: Double) -> (width: Int, height: Int) {
        let base: (width: Int, height: Int)
        if let known = sizes1K[ratio] {
            base = known
        } else if let value = ratioValue(ratio) {
            let width = (1024 * value.squareRoot() / 16).rounded() * 16
            let height = (1024 / value.squareRoot() / 16).rounded() * 16
            base = (Int(width), Int(height))
        } else {
            base = (1024, 1024)
        }
        return (max(1, Int((Double(base.width) * scale).rounded())), max(1, Int((Double(base.height) * scale).rounded())))
    }

    /// "16:9" -> 1.777..., nil for anything that is not two positive numbers.
    static func ratioValue(_ ratio: String) -> Double? {
        let parts = ratio.split(separator: ":")
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a > 0, b > 0 else { return nil }
        return a / b
    }

    /// "2048x1152" -> (2048, 1152); nil when not explicit pixels.
    static func explicitPixels(_ size: String) -> (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else { return nil }
        return (width, height)
    }

    /// The tier an explicit pixel size belongs to, judged by its area.
    static func tier(width: Int, height: Int) -> String {
        let side = (Double(width) * Double(height)).squareRoot()
        if side < 724 { return "512" }
        if side < 1448 { return "1K" }
        if side < 2896 { return "2K" }
        return "4K"
    }
}
