/// Finds what looks like an OpenRouter API key (`sk-or-…`) in parsed manifest values, so a
/// key spelled with JSON escapes (`sk\u002dor-…`) is refused as surely as a plain one.
enum APIKeyScan {
    static let message = "holds what looks like an OpenRouter API key; keys belong in OPENROUTER_API_KEY or the config file, never in manifests"

    static func contains(_ value: JSON) -> Bool {
        switch value {
        case .string(let text): return text.contains("sk-or-")
        case .array(let items): return items.contains(where: contains)
        case .object(let object): return object.contains { $0.key.contains("sk-or-") || contains($0.value) }
        default: return false
        }
    }
}
