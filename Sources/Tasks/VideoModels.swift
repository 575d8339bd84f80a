/// What one video model takes, from `GET /videos/models` (each set nil when OpenRouter does
/// not say: then anything goes), and its `pricing_skus` as sent (names vary by provider,
/// values are strings). Manifest validation checks video tasks against it, and `plan`
/// prices them by duration where the SKU names allow (`pricePerSecond`).
public struct VideoModelInfo: Sendable, Equatable {
    public let id: String
    public let durations: [Int]?
    public let resolutions: [String]?
    public let aspectRatios: [String]?
    public let sizes: [String]?
    public let frameImages: [String]?
    public let generateAudio: Bool?
    public let seed: Bool?
    public let pricingSKUs: [String: String]
    public let passthrough: [String]?

    package init(
        id: String, durations: [Int]?, resolutions: [String]? = nil, aspectRatios: [String]? = nil, sizes: [String]? = nil,
        frameImages: [String]? = nil, generateAudio: Bool? = nil, seed: Bool? = nil, pricingSKUs: [String: String] = [:],
        passthrough: [String]? = nil
    ) {
        self.id = id
        self.durations = durations
        self.resolutions = resolutions
        self.aspectRatios = aspectRatios
        self.sizes = sizes
        self.frameImages = frameImages
        self.generateAudio = generateAudio
        self.seed = seed
        self.pricingSKUs = pricingSKUs
        self.passthrough = passthrough
    }

    /// The models the reference names (Aug 2026), for validating offline, before
    /// `mediabatch models` cached the real list: their durations only.
    public static let builtIn: [String: VideoModelInfo] = [
        "google/veo-3.1": VideoModelInfo(id: "google/veo-3.1", durations: [4, 6, 8]),
        "bytedance/seedance-2.0": VideoModelInfo(id: "bytedance/seedance-2.0", durations: Array(4...15)),
        "alibaba/wan-2.7": VideoModelInfo(id: "alibaba/wan-2.7", durations: Array(2...10)),
    ]

    /// Dollars per second of video at `resolution`, with or without audio, when the SKU names
    /// say so unambiguously: a name about seconds (`duration_seconds`, `per-video-second`),
    /// naming no resolution or this one, and audio (`with_audio`) or not as asked. Nil when no
    /// SKU fits, or fitting SKUs disagree.
    public func pricePerSecond(resolution: String?, audio: Bool) -> Double? {
        // Each fitting SKU scores one for naming the resolution, one for naming audio as
        // asked: the most specific ones win, and must agree.
        var candidates: [(price: Double, score: Int)] = []
        for (name, value) in pricingSKUs {
            let words = name.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" }).map(String.init)
            guard words.contains(where: { $0.hasPrefix("second") }), let price = Double(value), price >= 0 else { continue }
            let namesAudio = words.contains("audio")
            let withAudio = namesAudio && !words.contains("without") && !words.contains("no")
            if namesAudio && withAudio != audio { continue }
            var score = namesAudio ? 1 : 0
            if let named = words.first(where: VideoModelInfo.isResolutionWord) {
                guard let resolution, named == resolution.lowercased() else { continue }
                score += 1
            }
            candidates.append((price, score))
        }
        guard let best = candidates.map(\.score).max() else { return nil }
        let prices = Set(candidates.filter { $0.score == best }.map(\.price))
        return prices.count == 1 ? prices.first : nil
    }

    /// "480p", "1080p", "4k", ...
    private static func isResolutionWord(_ word: String) -> Bool {
        guard let last = word.last, last == "p" || last == "k", word.count > 1 else { return false }
        return word.dropLast().allSatisfy(\.isNumber)
    }
}
