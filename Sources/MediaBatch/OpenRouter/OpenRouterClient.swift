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
}
