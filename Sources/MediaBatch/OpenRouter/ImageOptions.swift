/// The values OpenRouter accepts for the chat path's image hints, and which models accept
/// the extras (from the API reference), so validation can refuse the rest before sending.
public enum ImageOptions {
    public static let aspectRatios: [String] = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    public static let extendedAspectRatios: [String] = ["1:4", "4:1", "1:8", "8:1"]
    public static let resolutions: [String] = ["1K", "2K", "4K"]
    public static let extendedResolutions: [String] = ["0.5K"]
    /// The only model that takes the extended aspect ratios and 0.5K.
    public static let extendedModel = "google/gemini-3.1-flash-image-preview"

    public static func allowedAspectRatios(for model: ModelRef) -> [String] {
        model.wireID == extendedModel ? aspectRatios + extendedAspectRatios : aspectRatios
    }

    public static func allowedResolutions(for model: ModelRef) -> [String] {
        model.wireID == extendedModel ? extendedResolutions + resolutions : resolutions
    }
}
