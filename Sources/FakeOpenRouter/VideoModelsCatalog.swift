/// One video model the fake knows, shaped like an entry of `GET /videos/models`: the sets a
/// submit is checked against (nil: unknown, anything goes) and its `pricing_skus` (strings,
/// names as the provider spells them). The SKUs are the one source of its price: what the
/// fake bills is read from them (`cost(seconds:resolution:audio:)`), per resolution.
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

    /// What a job of `seconds` at `resolution` (nil: the model's 720p, else its first) bills,
    /// read from `pricingSKUs`: the per-second SKU that names this resolution (or none), with
    /// audio (`with_audio`) when asked and the model has such a SKU; else a flat per-video
    /// SKU (`generate`); 0 when none fits.
    func cost(seconds: Int, resolution: String?, audio: Bool) -> Double {
        let asked = (resolution ?? (resolutions?.contains("720p") == false ? resolutions?.first : "720p") ?? "720p").lowercased()
        let resolutionWords = ["480p", "720p", "768p", "1080p", "1k", "2k", "4k"]
        var best: (score: Int, price: Double)?
        for (name, value) in pricingSKUs {
            let lower = name.lowercased()
            guard lower.contains("second"), let price = Double(value) else { continue }
            let words = lower.split { $0 == "_" || $0 == "-" }.map(String.init)
            let named = words.first { resolutionWords.contains($0) }
            if let named, named != asked { continue }
            let withAudio = lower.contains("audio")
            if withAudio && !audio { continue }
            let score = (named == nil ? 0 : 2) + (withAudio == audio ? 1 : 0)
            if best == nil || score > best!.score { best = (score, price) }
        }
        if let best { return roundedCost(Double(seconds) * best.price) }
        if let flat = pricingSKUs.first(where: { $0.0 == "generate" }).flatMap({ Double($0.1) }) { return roundedCost(flat) }
        return 0
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
            passthrough: ["output_config"]),
        VideoModel(
            id: "bytedance/seedance-2.0", name: "ByteDance: Seedance 2.0", provider: "ByteDance",
            durations: Array(4...15), resolutions: ["480p", "720p", "1080p"],
            aspectRatios: ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"], sizes: ["1280x720", "720x1280", "1920x1080"],
            frameImages: ["first_frame", "last_frame"], generateAudio: true, seed: true,
            pricingSKUs: [("per-video-second-480p", "0.05"), ("per-video-second-720p", "0.1"), ("per-video-second-1080p", "0.25")],
            passthrough: ["camera_fixed"]),
        VideoModel(
            id: "alibaba/wan-2.7", name: "Alibaba: Wan 2.7", provider: "Alibaba", durations: Array(2...10),
            resolutions: ["480p", "720p"], aspectRatios: ["16:9", "9:16", "1:1"], sizes: nil,
            frameImages: ["first_frame"], generateAudio: false, seed: true,
            pricingSKUs: [("duration_seconds_480p", "0.04"), ("duration_seconds_720p", "0.08")],
            passthrough: []),
        VideoModel(
            id: "kwaivgi/kling-3.0", name: "Kling 3.0", provider: "Kling", durations: [5, 10],
            resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16", "1:1"], sizes: nil,
            frameImages: nil, generateAudio: nil, seed: nil,
            pricingSKUs: [("generate", "0.5")], passthrough: []),
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
