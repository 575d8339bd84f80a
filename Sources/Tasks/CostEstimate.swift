/// What a task should cost before it is sent, from the catalog's prices. An image is priced
/// by `image_output` (dollars per output image) when the model lists it; else by its price
/// per output image token times the typical tokens of one image at the asked resolution
/// (`typicalImageTokens`); else it is unknown (nil), never $0. Speech is priced per input
/// character (`prompt`). `openrouter/auto` picks a model per prompt: its price is unknown.
public enum CostEstimate {
    /// Output image tokens one image typically takes, per model family (a wire-id prefix,
    /// first match wins) and resolution. Gemini image models are token-priced: Gemini 2.5
    /// Flash Image about 1,300 tokens whatever the size (1,290 on the real service); Gemini
    /// 3.1 Flash Image 750 (0.5K), 1,120 (1K), 1,680 (2K), 2,520 (4K); Gemini 3 Pro Image
    /// 1,120 up to 2K and 2,000 at 4K. The last row serves any other token-priced model. The
    /// fake server's usage figures follow the same table (a test keeps them in step).
    public static let typicalImageTokens: [(family: String, tokens: [String: Int])] = [
        ("google/gemini-2.5-flash-image", ["0.5K": 1300, "1K": 1300, "2K": 1300, "4K": 1300]),
        ("google/gemini-3.1-flash-image", ["0.5K": 750, "1K": 1120, "2K": 1680, "4K": 2520]),
        ("google/gemini-3-pro-image", ["0.5K": 1120, "1K": 1120, "2K": 1120, "4K": 2000]),
        ("", ["0.5K": 750, "1K": 1290, "2K": 1680, "4K": 2520]),
    ]

    /// The tier a resolution or /images `size` names: `0.5K`, `1K` (also when none), `2K`, `4K`.
    public static func tier(resolution: String?, size: String? = nil) -> String {
        if let resolution { return resolution == "512" ? "0.5K" : resolution }
        guard let size else { return "1K" }
        if size == "512" { return "0.5K" }
        let sides = size.split(separator: "x").compactMap { Double($0) }
        guard sides.count == 2 else { return size }
        let side = (sides[0] * sides[1]).squareRoot()
        return side < 724 ? "0.5K" : side < 1448 ? "1K" : side < 2896 ? "2K" : "4K"
    }

    /// Typical output image tokens of one image of `model` at `tier`.
    public static func typicalTokens(model: String, tier: String) -> Int {
        let row = typicalImageTokens.first { model.hasPrefix($0.family) } ?? typicalImageTokens[typicalImageTokens.count - 1]
        return row.tokens[tier] ?? row.tokens["1K"] ?? 1290
    }

    /// Dollars for one image of `model` at `tier`, nil when the catalog cannot say.
    public static func perImage(_ model: ModelCatalog.Model, tier: String) -> Double? {
        if let price = model.pricePerImage { return price }
        if let price = model.pricePerImageToken { return price * Double(typicalTokens(model: model.id, tier: tier)) }
        return nil
    }

    /// Dollars for everything one request of `task` makes (`imagesPerRequest` images).
    public static func image(_ task: ImageTask, catalog: ModelCatalog?) -> Double? {
        guard !task.model.isAuto, let model = catalog?.models[task.model.wireID] else { return nil }
        return perImage(model, tier: tier(resolution: task.resolution, size: task.size)).map { $0 * Double(task.imagesPerRequest) }
    }

    /// Dollars for the whole text of `task` (every chunk), nil when the price is unknown.
    public static func speech(_ task: SpeechTask, catalog: ModelCatalog?) -> Double? {
        catalog?.models[task.model.wireID]?.pricePerCharacter.map { $0 * Double(task.text.count) }
    }

    /// Dollars for one video: its duration times the model's price per second at its
    /// resolution (a `size` priced as its shorter side: `1920x1080` is 1080p), with or without
    /// audio (`VideoModelInfo.pricePerSecond`); nil when the SKU names do not allow it, or the
    /// duration is the model's unstated default.
    public static func video(_ task: VideoTask, catalog: ModelCatalog?) -> Double? {
        guard let model = catalog?.videos[task.model.wireID] else { return nil }
        guard let seconds = task.duration ?? (model.durations?.count == 1 ? model.durations?.first : nil) else { return nil }
        let audio = task.generateAudio ?? model.generateAudio ?? false
        let resolution = task.resolution ?? task.size.flatMap(resolution(ofSize:))
        return model.pricePerSecond(resolution: resolution, audio: audio).map { $0 * Double(seconds) }
    }

    /// The resolution a video `size` ("WxH") stands for: its shorter side, "1080p" for
    /// "1920x1080" and "1080x1920"; nil when it is not "WxH".
    public static func resolution(ofSize size: String) -> String? {
        let sides = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard sides.count == 2, let shorter = sides.min(), shorter > 0 else { return nil }
        return "\(shorter)p"
    }
}
