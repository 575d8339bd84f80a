/// The values OpenRouter accepts for the chat path's image hints, and which models accept
/// the extras (from the API reference), so validation can refuse the rest before sending.
/// This table is the offline fallback: when OpenRouter's model lists are at hand, they decide.
public enum ImageOptions {
    public static let aspectRatios: [String] = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    public static let extendedAspectRatios: [String] = ["1:4", "4:1", "1:8", "8:1"]
    public static let resolutions: [String] = ["1K", "2K", "4K"]
    public static let extendedResolutions: [String] = ["0.5K"]
    /// The models that take the extended aspect ratios and 0.5K: Gemini 3.1 Flash Image,
    /// its preview slug and its release slug.
    public static let extendedModels: Set<String> = ["google/gemini-3.1-flash-image-preview", "google/gemini-3.1-flash-image"]

    /// The /images endpoint's normalized sets (the schema's enums); `0.5K` is accepted as `512`.
    public static let imagesAspectRatios: [String] = [
        "1:1", "1:2", "1:4", "1:8", "2:1", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9",
        "9:19.5", "19.5:9", "9:20", "20:9", "9:21", "21:9", "auto",
    ]
    public static let imagesResolutions: [String] = ["512", "0.5K", "1K", "2K", "4K"]
    public static let qualities: [String] = ["auto", "low", "medium", "high"]
    public static let backgrounds: [String] = ["auto", "transparent", "opaque"]
    public static let outputFormats: [String] = ["png", "jpeg", "webp"]
    /// Chat `reasoning.effort` values (the /images endpoint takes no `reasoning`).
    public static let reasoningEfforts: [String] = ["none", "minimal", "low", "medium", "high", "xhigh", "max"]

    /// Models that make one image per /images request (offline rule; `n` must be 1).
    public static func singleImagePerRequest(_ model: ModelRef) -> Bool {
        model.wireID.hasPrefix("black-forest-labs/")
    }

    public static func allowedAspectRatios(for model: ModelRef) -> [String] {
        extendedModels.contains(model.wireID) ? aspectRatios + extendedAspectRatios : aspectRatios
    }

    public static func allowedResolutions(for model: ModelRef) -> [String] {
        extendedModels.contains(model.wireID) ? extendedResolutions + resolutions : resolutions
    }
}
