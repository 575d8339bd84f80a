import Support

/// One HTTP request as the OpenRouter layer describes it; the HTTP layer knows nothing else.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }
    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Limits that apply to one transfer.
public struct HTTPLimits: Sendable {
    /// Seconds to establish the connection.
    public var connectTimeout: Double = 15
    /// Seconds for the whole transfer, connection included.
    public var totalTimeout: Double = 300
    /// libcurl's own low-speed abort: slower than `lowSpeedBytesPerSecond` for
    /// `lowSpeedSeconds`; 0 seconds (the default) abandons none. Generation endpoints may
    /// send nothing at all for minutes before their answer (Gemini TTS, gpt-image), so only
    /// `totalTimeout` applies unless an idle timeout is asked for.
    public var lowSpeedBytesPerSecond: Int = 1
    public var lowSpeedSeconds: Int = 0
    /// Seconds without a byte either way, the wait for the first one included, after which
    /// an attempt is abandoned (`--idle-timeout`); nil: none.
    public var idleTimeout: Double?
    /// The largest response body accepted; a larger one fails the transfer.
    public var maxResponseBytes: Int = 256 << 20

    public init() {}
}

/// What came back, without the body: status, the headers mediabatch reads, Retry-After.
/// The body lands in a buffer the caller owns (see `HTTPConnection.perform(_:into:)`), so
/// nothing here refers to memory that a later transfer reuses.
public struct HTTPResponseHead: Sendable {
    public let status: Int
    /// Header names in lower case, in arrival order (the final response's only).
    public let headers: [(name: String, value: String)]
    /// Seconds from a `Retry-After` header, seconds or HTTP date.
    public let retryAfter: Double?

    /// A head as it arrived; `retryAfter` is read from the headers when not given.
    public init(status: Int, headers: [(name: String, value: String)], retryAfter: Double? = nil) {
        self.status = status
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.retryAfter = retryAfter
            ?? self.headers.last(where: { $0.name == "retry-after" }).flatMap { RetryAfter.seconds(from: $0.value) }
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first(where: { $0.name == lower })?.value
    }

    public var contentType: String? { header("content-type") }
}

/// A whole response that owns its body: what `HTTPConnection.perform(_:)` returns for the
/// small exchanges (catalogs, key, generation cost) that need no reused buffer.
public struct HTTPResponse {
    public let head: HTTPResponseHead
    /// This response's own bytes: no other transfer writes into them.
    public let body: ByteArray

    public init(head: HTTPResponseHead, body: ByteArray) {
        self.head = head
        self.body = body
    }

    public init(status: Int, headers: [(name: String, value: String)], body: ByteArray, retryAfter: Double? = nil) {
        self.init(head: HTTPResponseHead(status: status, headers: headers, retryAfter: retryAfter), body: body)
    }

    public var status: Int { head.status }
}

/// A transfer that did not produce an HTTP response, or a connection that could not be set up.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case connect, timeout, tooLarge, aborted, transport
        /// libcurl could not be initialised, or refused an option (the connection's or this
        /// request's): nothing was sent. `detail` names the option and libcurl's reason;
        /// `url` is empty when no request was involved.
        case setup
    }
    public let kind: Kind
    public let url: String
    public let detail: String
    /// Headers of the answer that had arrived when the transfer failed (lower-case names;
    /// empty when none had).
    public let headers: [(name: String, value: String)]
    /// A 2xx answer had begun to arrive (more than keep-alive whitespace) when the transfer
    /// failed: the server answered, and the answer broke on its way.
    public var answerBegan = false

    /// The `Retry-After` of the answer's headers that had arrived, in seconds, if any.
    public var retryAfter: Double? {
        headers.last(where: { $0.name == "retry-after" }).flatMap { RetryAfter.seconds(from: $0.value) }
    }

    public var description: String {
        switch kind {
        case .connect: return "cannot connect to \(url): \(detail)"
        case .timeout: return "request to \(url) timed out: \(detail)"
        case .tooLarge: return "response from \(url) exceeds the size limit: \(detail)"
        case .aborted: return "request to \(url) was aborted"
        case .transport: return "transfer from \(url) failed: \(detail)"
        case .setup: return url.isEmpty ? "cannot set up libcurl: \(detail)" : "cannot set up the request to \(url): \(detail)"
        }
    }

    package init(kind: Kind, url: String, detail: String, headers: [(name: String, value: String)] = []) {
        self.kind = kind
        self.url = url
        self.detail = detail
        self.headers = headers
    }

    /// A header that had arrived before the failure.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first(where: { $0.name == lower })?.value
    }
}
