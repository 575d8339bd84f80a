/// A model as users name it (`openrouter/google/gemini-3.1-flash-image-preview`,
/// `openrouter/auto`, or bare `google/...`) and as the wire needs it (`google/...`).
public struct ModelRef: Sendable, Hashable, CustomStringConvertible {
    /// The id OpenRouter expects in the `model` field.
    public let wireID: String

    public static let auto = ModelRef(wireID: "openrouter/auto")

    /// Parses a user's model reference; nil when it cannot name an OpenRouter model.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) else { return nil }
        switch parts.count {
        case 2: wireID = text  // "openrouter/auto" or a bare "<provider>/<model>"
        case 3 where parts[0] == "openrouter": wireID = parts[1...].joined(separator: "/")
        default: return nil
        }
    }

    private init(wireID: String) { self.wireID = wireID }

    public var isAuto: Bool { wireID == "openrouter/auto" }
    public var provider: String { String(wireID.split(separator: "/").first ?? "") }
    /// The model's name without its provider, e.g. `gemini-2.5-flash-image`.
    public var shortName: String { String(wireID.split(separator: "/").last ?? "") }
    public var isGeminiImage: Bool { wireID.hasPrefix("google/gemini-") }
    public var description: String { wireID }

    /// Models that only write images and reject a `text` output modality (offline rule; the
    /// model list's `architecture.output_modalities` says the same when it is cached).
    public var isImageOnly: Bool {
        ["black-forest-labs/", "sourceful/", "bytedance-seed/", "recraft/", "stability/", "ideogram/"]
            .contains(where: wireID.hasPrefix)
    }
}
