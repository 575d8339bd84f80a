/// Where requests go and who sends them: base URL, key, and the app attribution that only
/// OpenRouter's own URL receives.
public struct OpenRouterEndpoint: Sendable {
    public static let officialBaseURL = "https://openrouter.ai/api/v1"
    public static let appURL = "https://github.com/mediabatch/mediabatch"
    public static let appTitle = "mediabatch"

    public let baseURL: String
    public let apiKey: String

    public init(baseURL: String, apiKey: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey
    }

    /// Attribution headers go to the real OpenRouter only, never to a proxy or a local server.
    public var isOfficial: Bool { baseURL == OpenRouterEndpoint.officialBaseURL }

    public func url(_ path: String) -> String { baseURL + path }

    /// `value` made safe for a URL's query: everything but unreserved characters
    /// (RFC 3986: letters, digits, `-._~`) percent-encoded as UTF-8.
    public static func percentEncoded(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Headers for one request; `category` is `image-gen` or `audio-gen`.
    public func headers(category: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(apiKey)"),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ]
        if isOfficial {
            headers.append(("HTTP-Referer", OpenRouterEndpoint.appURL))
            headers.append(("X-OpenRouter-Title", OpenRouterEndpoint.appTitle))
            headers.append(("X-OpenRouter-Categories", category))
        }
        return headers
    }

    /// Headers for a generation request: `headers(category:)` and `X-OpenRouter-Cache: false`,
    /// so identical bodies (from `count`, or retries) are never answered from a preset's
    /// response cache.
    public func generationHeaders(category: String) -> [(name: String, value: String)] {
        headers(category: category) + [("X-OpenRouter-Cache", "false")]
    }
}
