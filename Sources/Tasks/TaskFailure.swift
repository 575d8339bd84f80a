/// Why one attempt at a task did not produce its files, classified the way a batch client
/// must act on it (see the API reference's error table).
public struct TaskFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Worth retrying: rate limits, overloaded or unavailable providers, broken transfers.
        case transient
        /// The request itself is wrong or refused; retrying cannot help.
        case permanent
        /// A 200 that carried no image (refusal, cold start): retried a little, then permanent.
        case noImages = "no-images"
        /// 401: the key is bad; the whole run stops.
        case unauthorized
        /// 402: out of credits; nothing new is scheduled.
        case paymentRequired = "payment-required"
        /// The run was stopped (a signal) while this request was in flight.
        case interrupted
        /// An output cannot be written for a reason every later write would meet too (no
        /// space, a read-only file system, no permission, a quota or size limit): the answer
        /// arrived but was not saved, and nothing new is scheduled.
        case unwritable
    }

    /// Where the failure came from, for the journal, the report and any decision that
    /// depends on more than the retry class (a transport failure may still have been billed).
    public enum Cause: Sendable, Equatable {
        /// No usable HTTP answer arrived.
        case transport(Transport)
        /// OpenRouter answered with an error: `status` holds the HTTP status (200 when the
        /// error came inside a successful answer), `code` OpenRouter's own error code.
        case api(code: String?)
        /// An answer arrived but cannot be used: malformed, truncated, of the wrong type, or
        /// without the image or audio asked for.
        case response
        /// A local file: a reference that cannot be read, an output that cannot be written.
        case file(path: String)
        /// The task could not be rebuilt as it was validated (an input changed or vanished).
        case plan
        /// The run was stopped while the request was in flight.
        case interrupted
    }

    /// How a transfer failed before any answer arrived.
    public enum Transport: String, Sendable {
        case connect, timeout, aborted, broken
        case tooLarge = "too-large"
        /// libcurl could not be set up for the request (an option refused): nothing was sent.
        case setup
    }

    public let kind: Kind
    public let cause: Cause
    public let status: Int?
    public let message: String
    /// Seconds the server asked us to wait (Retry-After or `availability.retry_after`).
    public var retryAfter: Double?
    /// Extra facts worth recording: finish reasons, moderation reasons, model text.
    public var details: [String: String] = [:]

    public init(_ kind: Kind, cause: Cause, status: Int? = nil, message: String, retryAfter: Double? = nil, details: [String: String] = [:]) {
        self.kind = kind
        self.cause = cause
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.details = details
    }

    public var description: String {
        var text = status.map { "HTTP \($0): " } ?? ""
        text += message
        for key in details.keys.sorted() { text += "; \(key)=\(details[key]!)" }
        return text
    }
}

extension TaskFailure.Cause: CustomStringConvertible {
    /// The cause as the journal and the report name it: `transport:timeout`, `api:429`-style
    /// codes, `response`, `file`, `plan`, `interrupted`.
    public var description: String {
        switch self {
        case .transport(let transport): return "transport:" + transport.rawValue
        case .api(let code): return code.map { "api:" + $0 } ?? "api"
        case .response: return "response"
        case .file: return "file"
        case .plan: return "plan"
        case .interrupted: return "interrupted"
        }
    }
}
