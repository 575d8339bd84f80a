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
        /// The model or a moderation check refused the request for what it asks: retrying
        /// cannot help. Recorded as refused; reruns leave it alone unless asked.
        case refused
        /// 403: the key's or the workspace's spend limit is reached; nothing new is scheduled
        /// until it resets.
        case keyLimit = "key-limit"
    }

    /// Who asked for less: a 429, or a 402 about credit in flight.
    public enum Throttle: Sendable, Equatable {
        /// OpenRouter's own limit on the key: every request waits, until `resetAt` (seconds
        /// since the epoch) when the answer said.
        case key(resetAt: Double?)
        /// One provider of one model is busy: that model slows down, nothing else.
        case provider
        /// The key's credit cannot cover the requests in flight: fewer at once, then again.
        case inFlightBudget
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
        /// Another task whose output this one takes (`@id`) did not produce it.
        case producer(taskID: String)
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
    /// For a 429 or a transient 402: whose limit it was.
    public var throttle: Throttle?
    /// OpenRouter's own 429 named the key's limit (`X-RateLimit-Limit`: requests a minute):
    /// the run paces itself to it instead of meeting it again and again.
    public var keyRateLimit: Int?
    /// The generation this attempt started, when the answer named it (`X-Generation-Id`,
    /// read as soon as the headers arrive): a chat generation is billed even when its
    /// transfer fails, and its cost can be asked for.
    public var generationID: String?
    /// Dollars the answer said this failed attempt cost (a refusal or an answer without an
    /// image still bills the prompt).
    public var billedCost: Double?
    /// The model's reason, for a refusal (`content_filter`, `IMAGE_SAFETY`, moderation reasons).
    public var refusal: String?
    /// For a broken transfer: a 2xx answer's body had begun to arrive (more than keep-alive
    /// whitespace) before it broke.
    public var answerBegan = false

    public init(_ kind: Kind, cause: Cause, status: Int? = nil, message: String, retryAfter: Double? = nil, details: [String: String] = [:]) {
        self.kind = kind
        self.cause = cause
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.details = details
    }

    /// The same failure under another kind (a soft refusal that did not pass on its second
    /// try ends refused), with `note` appended to the message when given.
    public func reclassified(as kind: Kind, note: String? = nil) -> TaskFailure {
        var copy = TaskFailure(
            kind, cause: cause, status: status, message: note.map { message + "; " + $0 } ?? message, retryAfter: retryAfter, details: details)
        copy.throttle = throttle
        copy.generationID = generationID
        copy.billedCost = billedCost
        copy.refusal = refusal
        copy.answerBegan = answerBegan
        return copy
    }

    /// Whether the failure says the server, or the way to it, may be struggling: an error
    /// status (overload, outage), a connection refused or timed out, a transfer cut before a
    /// 2xx answer's body began (headers and keep-alive newlines are not an answer: OpenRouter
    /// sends them while the model still works), an answer without an image (a model warming
    /// up). A retry of such a failure keeps its backoff even when nothing else is in flight,
    /// so a short outage is outlasted instead of met again at once. A 2xx answer that began
    /// and broke (cut mid-body, truncated, malformed) says nothing of the server's health:
    /// waiting after it only idles the run.
    public var signalsStrain: Bool {
        if kind == .noImages { return true }
        switch cause {
        case .response: return false
        case .transport(.broken): return !answerBegan
        default: return true
        }
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
    /// codes, `response`, `file`, `plan`, `interrupted`, `producer`.
    public var description: String {
        switch self {
        case .transport(let transport): return "transport:" + transport.rawValue
        case .api(let code): return code.map { "api:" + $0 } ?? "api"
        case .response: return "response"
        case .file: return "file"
        case .plan: return "plan"
        case .interrupted: return "interrupted"
        case .producer: return "producer"
        }
    }
}
