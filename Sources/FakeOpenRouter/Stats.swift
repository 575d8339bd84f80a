import Foundation

/// One request exactly as the fake received it, so tests can assert what the client sent
/// (headers, JSON body, timing) without trusting the client's own logs.
public struct RecordedRequest: Sendable {
    public let method: String
    /// Path without the `/api/v1` prefix and without the query, e.g. "/chat/completions".
    public let path: String
    public let query: String?
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// Monotonic seconds (same clock for every request of a process).
    public let receivedAt: Double

    public init(
        method: String, path: String, query: String?, headers: [(name: String, value: String)],
        body: [UInt8], receivedAt: Double
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body parsed with Foundation's JSONSerialization; nil unless it is a JSON object.
    public func json() -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) as? [String: Any]
    }
}

/// Counters the tests and the benchmark assert on (connection reuse, concurrency, faults,
/// client retry discipline). Also served as JSON by `GET /__fake/stats`.
public struct FakeStats: Sendable, Equatable {
    /// Requests received (not counting `/__fake/*`).
    public var requests: Int = 0
    /// TCP connections accepted.
    public var connectionsAccepted: Int = 0
    /// The most requests at once that were received but not yet fully answered.
    public var maxInFlight: Int = 0
    /// Requests received and not yet fully answered right now.
    public var inFlight: Int = 0
    /// The most generation requests (images, speech, chat, video submits) at once:
    /// `maxInFlight` without the lookups, lists and video polls around them.
    public var maxGenerationsInFlight: Int = 0
    /// Retries that arrived before the `Retry-After` the fake had sent for the same request.
    public var earlyRetries: Int = 0
    /// Faults injected by the `FaultPlan` (not `#fake:` directives).
    public var faultsInjected: Int = 0
    /// Requests answered with the key's own 429 because `--rpm` was spent.
    public var rateLimited: Int = 0
    /// Requests per path (without `/api/v1`).
    public var byPath: [String: Int] = [:]
    /// USD billed by the fake, summed over every billed generation: successful ones, chat
    /// generations whose transfer failed or whose client went away (billed in full), billed
    /// refusals and no-image answers, speech that was answered. Rounded to 10 decimals.
    public var billedCost: Double = 0
    /// Generations billed (what `billedCost` sums).
    public var billedGenerations: Int = 0
    /// `/images` and `/audio/speech` generations not billed because their answer was never
    /// delivered (client gone, reset, truncated or stalled transfer).
    public var cancelledGenerations: Int = 0
    /// Seconds, between the first generation request and the last answer so far, during
    /// which no generation request was in flight: a client that has work but sends nothing
    /// (all its workers waiting) shows here. The wait after the last answer is not counted.
    public var idleSeconds: Double = 0
    /// When each stalled request (`stall` fault) arrived, in seconds after the first
    /// generation request: no client can finish before the last of them plus the stall.
    public var stallStarts: [Double] = []
    /// For each stall (in `stallStarts`' order): which attempt of its request it hit (1 = the
    /// first try), and how many distinct requests the fake had seen before that request's first
    /// try (its place in the client's sending order). With these a bench can tell when a
    /// client keeping C requests of latency L in flight could have sent it at the earliest.
    public var stallAttempts: [Int] = []
    public var stallOrders: [Int] = []
    /// `POST /videos` submissions that created a job.
    public var videoSubmissions: Int = 0
    /// Of those, submissions whose request body (hashed) had already created
    /// `FakeConfiguration.videoJobsPerBody` jobs (1 unless a test of `count` says more): a
    /// client that pays twice for the same video shows here.
    public var duplicateVideoSubmissions: Int = 0
    /// Jobs made per request body, by the body's FNV-1a hash (16 hex digits).
    public var videoSubmissionsByBody: [String: Int] = [:]
    /// Submissions whose job was created but whose 202 answer was dropped (reset).
    public var droppedVideoSubmitAnswers: Int = 0
    /// `GET /videos/{id}` polls, and those answered with an injected 500.
    public var videoPolls: Int = 0
    public var videoPollFaults: Int = 0
    /// `GET /videos/{id}/content` answers that carried a video.
    public var videoDownloads: Int = 0
    /// Downloads answered with a fault (`videoContentFaultRate`, `#fake:content-fault`); not in `videoDownloads`.
    public var videoContentFaults: Int = 0
    /// Submits that made (and billed) a job and were answered with an error (`#fake:job-then-status`).
    public var videoJobsAnsweredWithError: Int = 0

    public init() {}

    /// One line of JSON with the field names above (what `/__fake/stats` returns).
    public func jsonString() -> String {
        let paths: [(String, JSONOut)] = byPath.keys.sorted().map { ($0, .int(byPath[$0] ?? 0)) }
        let document: JSONOut = .object([
            ("requests", .int(requests)), ("connectionsAccepted", .int(connectionsAccepted)),
            ("maxInFlight", .int(maxInFlight)), ("inFlight", .int(inFlight)), ("maxGenerationsInFlight", .int(maxGenerationsInFlight)),
            ("earlyRetries", .int(earlyRetries)), ("faultsInjected", .int(faultsInjected)), ("rateLimited", .int(rateLimited)),
            ("byPath", .object(paths)), ("billedCost", .double(billedCost)),
            ("billedGenerations", .int(billedGenerations)), ("cancelledGenerations", .int(cancelledGenerations)),
            ("idleSeconds", .double((idleSeconds * 1000).rounded() / 1000)), ("stallStarts", .array(stallStarts.map(JSONOut.double))),
            ("stallAttempts", .array(stallAttempts.map { .int($0) })), ("stallOrders", .array(stallOrders.map { .int($0) })),
            ("videoSubmissions", .int(videoSubmissions)), ("duplicateVideoSubmissions", .int(duplicateVideoSubmissions)),
            ("droppedVideoSubmitAnswers", .int(droppedVideoSubmitAnswers)), ("videoPolls", .int(videoPolls)),
            ("videoPollFaults", .int(videoPollFaults)), ("videoDownloads", .int(videoDownloads)),
            ("videoContentFaults", .int(videoContentFaults)), ("videoJobsAnsweredWithError", .int(videoJobsAnsweredWithError)),
            ("videoSubmissionsByBody", .object(videoSubmissionsByBody.keys.sorted().map { ($0, .int(videoSubmissionsByBody[$0] ?? 0)) })),
        ])
        return document.text(escapeSlashes: false)
    }
}

/// What `/generation?id=` reports for an id the fake issued.
struct GenerationRecord: Sendable {
    let id: String
    let model: String
    let provider: String
    var cost: Double
    let createdAt: Date
    let tokensPrompt: Int
    let tokensCompletion: Int
    let mediaCount: Int
    let finishReason: String
    let nativeFinishReason: String
    let apiType: String
    /// Counted in the billed total (`usage`, `billedCost`); false: `total_cost` 0.
    var billed = true
    /// Not billed because the answer was never delivered (`/images`, speech).
    var cancelled = false
    /// Monotonic time from which `/generation` answers (before it: 404).
    var visibleAt: Double = 0
}

/// When a generation is billed: set on a `Reply` by an endpoint, settled by the router
/// (`generated`, `unbilled`) or by the connection handler as it writes (`answered`, `delivered`).
struct Bill: Sendable {
    enum When: Sendable, Equatable {
        /// As soon as it is generated, whatever becomes of the transfer (chat).
        case generated
        /// Recorded with cost 0, never billed (a 200 that carries a provider error).
        case unbilled
        /// When the status line goes out; cancelled if the client is gone before (speech).
        case answered
        /// Only once the whole body went out; cancelled otherwise (`/images`).
        case delivered
    }

    var record: GenerationRecord
    var when: When
}

/// Everything mutable the server shares between threads; always accessed under one lock.
struct ServerState {
    var recorded: [RecordedRequest] = []
    var stats = FakeStats()
    /// Generation requests (POST /chat/completions, /images, /audio/speech) so far.
    var generationRequests = 0
    /// Attempts per request identity.
    var attempts: [UInt64: Int] = [:]
    /// Per request identity: how many distinct identities came before its first attempt.
    var firstSeenOrder: [UInt64: Int] = [:]
    /// Monotonic time before which a retry of this identity is early.
    var retryNotBefore: [UInt64: Double] = [:]
    var generations: [String: GenerationRecord] = [:]
    /// Sum of billed costs (what `/key` reports as usage).
    var usage: Double = 0
    /// Generation requests received and not yet fully answered.
    var generationsInFlight = 0
    /// When the last generation in flight ended (for `FakeStats.idleSeconds`).
    var idleSince: Double?
    /// When the first generation request arrived (for `FakeStats.stallStarts`).
    var firstGenerationAt: Double?
    /// Per key (Bearer token): monotonic arrival times of the generation requests counted
    /// against `FaultPlan.requestsPerMinute`, oldest first.
    var rateWindows: [String: [Double]] = [:]
    var idCounter: UInt64 = 0
    /// Video jobs by id, the jobs made so far, and how many jobs each request body (FNV-1a) made.
    var videoJobs: [String: VideoJob] = [:]
    var videoJobCounter = 0
    var videoSubmissionsByBody: [UInt64: Int] = [:]
    /// Bytes of request bodies kept in `recorded`, and the first entry that may still hold one.
    var retainedBodyBytes = 0
    var oldestRetained = 0

    /// Past this many bytes of kept request bodies, the oldest bodies are dropped (the
    /// requests stay recorded with an empty body) so a long benchmark cannot exhaust memory.
    static let bodyRetentionLimit = 1 << 30

    mutating func record(_ request: RecordedRequest) {
        recorded.append(request)
        stats.requests += 1
        stats.byPath[request.path, default: 0] += 1
        retainedBodyBytes += request.body.count
        while retainedBodyBytes > ServerState.bodyRetentionLimit, oldestRetained < recorded.count - 1 {
            let old = recorded[oldestRetained]
            if !old.body.isEmpty {
                recorded[oldestRetained] = RecordedRequest(
                    method: old.method, path: old.path, query: old.query, headers: old.headers, body: [],
                    receivedAt: old.receivedAt)
                retainedBodyBytes -= old.body.count
            }
            oldestRetained += 1
        }
    }

    mutating func reset() {
        let inFlight = stats.inFlight
        let generationsInFlight = self.generationsInFlight
        let idCounter = self.idCounter
        self = ServerState()
        self.idCounter = idCounter
        self.generationsInFlight = generationsInFlight
        stats.inFlight = inFlight
        stats.maxInFlight = inFlight
    }

    /// Stores a generation; a billed one adds to `usage` and the billed counters.
    mutating func store(_ record: GenerationRecord) {
        generations[record.id] = record
        if record.billed {
            usage += record.cost
            stats.billedCost = roundedCost(usage)
            stats.billedGenerations += 1
        }
        if record.cancelled { stats.cancelledGenerations += 1 }
    }
}
