/// One video model the fake knows, shaped like an entry of `GET /videos/models`: the sets a
/// submit is checked against (nil: unknown, anything goes) and its `pricing_skus` (strings,
/// names as the provider spells them). `pricePerSecond` is what the fake bills per second.
struct VideoModel: Sendable {
    let id: String
    let name: String
    let provider: String
    let durations: [Int]
    let resolutions: [String]?
    let aspectRatios: [String]?
    let sizes: [String]?
    let frameImages: [String]?
    let generateAudio: Bool?
    let seed: Bool?
    let pricingSKUs: [(String, String)]
    let passthrough: [String]
    /// USD per second without audio, and with it.
    let pricePerSecond: Double
    let pricePerSecondWithAudio: Double

    func cost(seconds: Int, audio: Bool) -> Double {
        roundedCost(Double(seconds) * (audio ? pricePerSecondWithAudio : pricePerSecond))
    }
}

/// `GET /videos/models` and the models `POST /videos` accepts (the reference's examples:
/// veo-3.1 4/6/8 s, seedance-2.0 4-15 s, wan-2.7 2-10 s; and one whose SKU names give no
/// per-second price, so a client's estimate must say "unknown").
enum VideoModelsCatalog {
    static let models: [VideoModel] = [
        VideoModel(
            id: "google/veo-3.1", name: "Google: Veo 3.1", provider: "Google", durations: [4, 6, 8],
            resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"], sizes: nil,
            frameImages: ["first_frame", "last_frame"], generateAudio: true, seed: true,
            pricingSKUs: [("duration_seconds", "0.2"), ("duration_seconds_with_audio", "0.4")],
            passthrough: ["output_config"], pricePerSecond: 0.2, pricePerSecondWithAudio: 0.4),
        VideoModel(
            id: "bytedance/seedance-2.0", name: "ByteDance: Seedance 2.0", provider: "ByteDance",
            durations: Array(4...15), resolutions: ["480p", "720p", "1080p"],
            aspectRatios: ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"], sizes: ["1280x720", "720x1280", "1920x1080"],
            frameImages: ["first_frame", "last_frame"], generateAudio: true, seed: true,
            pricingSKUs: [("per-video-second-480p", "0.05"), ("per-video-second-720p", "0.1"), ("per-video-second-1080p", "0.25")],
            passthrough: ["camera_fixed"], pricePerSecond: 0.1, pricePerSecondWithAudio: 0.1),
        VideoModel(
            id: "alibaba/wan-2.7", name: "Alibaba: Wan 2.7", provider: "Alibaba", durations: Array(2...10),
            resolutions: ["480p", "720p"], aspectRatios: ["16:9", "9:16", "1:1"], sizes: nil,
            frameImages: ["first_frame"], generateAudio: false, seed: true,
            pricingSKUs: [("duration_seconds_480p", "0.04"), ("duration_seconds_720p", "0.08")],
            passthrough: [], pricePerSecond: 0.08, pricePerSecondWithAudio: 0.08),
        VideoModel(
            id: "kwaivgi/kling-3.0", name: "Kling 3.0", provider: "Kling", durations: [5, 10],
            resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16", "1:1"], sizes: nil,
            frameImages: nil, generateAudio: nil, seed: nil,
            pricingSKUs: [("generate", "0.5")], passthrough: [], pricePerSecond: 0.1, pricePerSecondWithAudio: 0.1),
    ]

    static func model(_ id: String) -> VideoModel? { models.first { $0.id == id } }

    static func listDocument() -> JSONOut {
        func strings(_ values: [String]?) -> JSONOut { values.map { .array($0.map { .string($0) }) } ?? .null }
        func flag(_ value: Bool?) -> JSONOut { value.map { .bool($0) } ?? .null }
        let data: [JSONOut] = models.map { model in
            .object([
                ("id", .string(model.id)), ("canonical_slug", .string(model.id)), ("name", .string(model.name)),
                ("description", .string("\(model.name) generates video from text and images.")),
                ("created", .int(Catalog.created)),
                ("supported_resolutions", strings(model.resolutions)),
                ("supported_aspect_ratios", strings(model.aspectRatios)),
                ("supported_sizes", strings(model.sizes)),
                ("supported_durations", .array(model.durations.map { .int($0) })),
                ("supported_frame_images", strings(model.frameImages)),
                ("generate_audio", flag(model.generateAudio)), ("seed", flag(model.seed)),
                ("pricing_skus", .object(model.pricingSKUs.map { ($0.0, .string($0.1)) })),
                ("allowed_passthrough_parameters", .array(model.passthrough.map { .string($0) })),
            ])
        }
        return .object([("data", .array(data))])
    }
}
