/// A model as users name it (`openrouter/google/gemini-3.1-flash-image-preview`,
/// `openrouter/auto`, or bare `google/...`) and as the wire needs it (`google/...`).
public struct ModelRef: Sendable, Hashable, CustomStringConvertible {
    /// The id OpenRouter expects in the `model` field.
    public let wireID: String
    /// The model's name without its provider, e.g. `gemini-2.5-flash-image`.
    public let shortName: String

    /// Parses a user's model reference; nil when it cannot name an OpenRouter model.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        // Visible ASCII only: model ids never hold spaces, controls or other scripts.
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard !parts.contains(where: \.isEmpty) else { return nil }
        switch parts.count {
        case 2: wireID = text  // "openrouter/auto" or a bare "<provider>/<model>"
        case 3 where parts[0].elementsEqual("openrouter".utf8): wireID = String(decoding: bytes[(parts[0].count + 1)...], as: UTF8.self)
        default: return nil
        }
        shortName = String(decoding: parts[parts.count - 1], as: UTF8.self)
    }

    public var isAuto: Bool { wireID == "openrouter/auto" }
    public var isGeminiImage: Bool { wireID.hasPrefix("google/gemini-") }
    public var description: String { wireID }

    /// Models that only write images and reject a `text` output modality (offline rule; the
    /// model list's `architecture.output_modalities` decides when it is at hand).
    public var isImageOnly: Bool {
        ["black-forest-labs/", "sourceful/", "bytedance-seed/", "recraft/", "stability/", "ideogram/",
         "openai/gpt-image-", "x-ai/grok-imagine", "microsoft/mai-image"]
            .contains(where: wireID.hasPrefix)
    }
}

/// Remembers parsed model references: a batch of a hundred thousand entries names the same
/// few models over and over. Belongs to one expansion pass (one thread).
package final class ModelRefMemo {
    package init() {}
    private var parsed: [String: ModelRef?] = [:]

    package func parse(_ text: String) -> ModelRef? {
        if let known = parsed[text] { return known }
        let model = ModelRef(text)
        if parsed.count < 1024 { parsed[text] = model }
        return model
    }
}
