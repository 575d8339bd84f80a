import Foundation

/// How a `FakeOpenRouterServer` behaves: where it listens, how slow it is, which keys it
/// accepts, how big its images are and which failures it injects. Tests, the demo and the
/// benchmark each build one of these instead of patching the server.
public struct FakeConfiguration: Sendable {
    /// Address to bind; only loopback addresses are accepted (127.0.0.0/8, ::1, localhost).
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; `FakeOpenRouterServer.start()` returns the chosen one.
    public var port: Int = 0
    /// Seconds added before every response, scheduled on the event loop (never a sleeping thread).
    public var latency: Double = 0
    /// nil: any non-empty Bearer token is accepted; otherwise only these tokens.
    public var acceptedKeys: Set<String>? = nil
    /// Bench mode: every image is one precomputed incompressible PNG of about this many bytes.
    public var imageBytes: Int? = nil
    /// Images in each successful `/chat/completions` image answer (a prompt's `#fake:images=N` wins).
    public var imagesPerResponse: Int = 1
    /// Write `/` as `\/` inside JSON strings. OpenRouter's own JSON (JavaScript's
    /// `JSON.stringify`) does not, so off by default; other encoders do, and tests cover both.
    public var escapeSlashes: Bool = false
    /// Deterministic failure injection.
    public var faults: FaultPlan = .none
    /// `GET /generation?id=` answers 404 for this many seconds after a generation ends (the
    /// real service does for about a second). 0: answered as soon as the generation ends.
    public var generationDelaySeconds: Double = 0
    /// Seconds of silence (no status line, no headers) added before every `/images` and
    /// `/audio/speech` answer, on top of `latency` (Gemini TTS takes 47-165 s to its first
    /// byte; gpt-image models 90 s and more). A prompt's `#fake:first-byte=S` adds more.
    public var mediaFirstByteSeconds: Double = 0
    /// More silence before an `/audio/speech` answer, per character of `input`
    /// (Gemini TTS: about 0.036 s per character).
    public var speechFirstByteSecondsPerCharacter: Double = 0
    /// Empty: speech is mp3 silence (and a quiet pcm tone) unless `#fake:amplitude=A` asks.
    /// Otherwise every speech answer is an audible tone at one of these amplitudes (1.0 =
    /// full scale), picked by a hash of its input, so the chunks of one narration come at
    /// different levels and the same text always comes at the same one.
    public var speechAmplitudes: [Double] = []
    /// nil: off. Otherwise a successful `/chat/completions` answer sends its status line and
    /// headers (with `X-Generation-Id`) at once, then a newline every this many seconds while
    /// it "generates" (the configured latency plus any `#fake:first-byte=S`), then the JSON:
    /// the body begins with whitespace and is sent chunked (no `Content-Length`).
    public var chatKeepAliveSeconds: Double? = nil
    /// Seconds a video job takes from submit to its end (a quarter `pending`, then
    /// `in_progress`); a prompt's `#fake:video-seconds=S` wins.
    public var videoJobSeconds: Double = 2
    /// Probability (0...1) that a video job fails (seeded by the request body and `faults.seed`).
    public var videoFailureRate: Double = 0
    /// Probability (0...1) that a poll of a video job is answered 500 (the job goes on).
    public var videoPollFaultRate: Double = 0
    /// Probability (0...1) that a submit's 202 is dropped (connection reset) after the job
    /// was created: the client cannot know whether it paid.
    public var videoDropSubmitRate: Double = 0
    /// How many jobs of one identical request body a client may rightly make: a manifest's
    /// `count` N sends N identical bodies (the API has no field that tells them apart but
    /// `seed`, which changes what is made and not every model takes), so a test of `count` N
    /// sets N. Submissions of a body beyond it count as `duplicateVideoSubmissions`.
    public var videoJobsPerBody: Int = 1
    /// Probability (0...1) that a video job ends `cancelled` (seeded like `videoFailureRate`).
    public var videoCancelRate: Double = 0
    /// Probability (0...1) that a video job ends `expired` (seeded like `videoFailureRate`).
    public var videoExpireRate: Double = 0
    /// A job that ends `failed`, `cancelled` or `expired` is billed all the same (its poll
    /// carries `usage.cost`); off: such a job costs nothing, as OpenRouter says of failed ones.
    public var videoBillUnfinished: Bool = false
    /// The status of a poll fault (`videoPollFaultRate`, `#fake:poll-faults=N`): 500, or 401
    /// (the key refused) or 404 (the job unknown), as the reference lists for polls.
    public var videoPollFaultStatus: Int = 500
    /// Probability (0...1) that a download (`GET /videos/{id}/content`) fails with one of
    /// `videoContentFaultKinds` (seeded by the job and the download's number).
    public var videoContentFaultRate: Double = 0
    /// The download faults drawn among: `.serverError` (500), `.badGateway` (502) and
    /// `.truncatedBody` (the transfer cut short) are played; others count as 500.
    public var videoContentFaultKinds: [FaultKind] = [.serverError, .badGateway, .truncatedBody]
    /// How a job's `polling_url` is written: relative (`/api/v1/videos/{id}`, the default),
    /// absolute on the fake's own origin, or absolute on another origin.
    public var videoPollingURL: VideoPollingURL = .relative
    /// Finished videos are QuickTime (`video/quicktime`, brand `qt  `) instead of MP4.
    public var videoQuickTime: Bool = false
    /// When set, `GET /videos/models` answers with this status (an error body) instead of the
    /// list: 404 as a server without video generation, 5xx as one whose list failed for now.
    public var videoModelsStatus: Int? = nil

    public init() {}
}

/// How the fake writes a video job's `polling_url`: the reference says it "may be relative",
/// so a client must follow both forms, and must never send the key to another origin.
public enum VideoPollingURL: String, Sendable, CaseIterable {
    /// `/api/v1/videos/{id}`.
    case relative
    /// `http://<host>/api/v1/videos/{id}?via=polling_url`: the fake's own origin (the query
    /// shows a test that the client followed it rather than building its own path).
    case absolute
    /// `http://polling.fake-openrouter.invalid/api/v1/videos/{id}`: another origin.
    case foreign
}

/// One kind of failure the fake can inject into a generation request, so that a client's
/// retry, backoff and validation paths can be exercised reproducibly.
public enum FaultKind: String, Sendable, CaseIterable, Hashable {
    /// 429 with a `Retry-After` header and OpenRouter's rate-limit body.
    case rateLimited
    /// 500 Internal Server Error.
    case serverError
    /// 502 Provider returned error.
    case badGateway
    /// 503 with a `Retry-After` header.
    case unavailable
    /// 524 edge timeout.
    case timeoutEdge
    /// 529 provider overloaded.
    case overloaded
    /// Headers and part of the body, then the connection is reset.
    case resetMidBody
    /// The request is accepted and never answered for `FaultPlan.stallSeconds`, then closed.
    case stall
    /// `Content-Length` larger than what is sent, then the connection is closed.
    case truncatedBody
    /// 200 with a body that is not valid JSON.
    case malformedJSON
    /// 200 whose `choices[0].finish_reason` is `"error"` with an embedded provider error.
    case errorIn200
    /// 200 without any image.
    case noImages
    /// 402, out of credits: OpenRouter's plain 402 without `Retry-After`.
    case paymentRequired
    /// 402 with `Retry-After` and `error.metadata.reason: "in_flight_budget_exhausted"`: transient.
    case paymentInFlight
    /// 402 "This request requires more credits, or fewer max_tokens ... can only afford N":
    /// concerns this one request; no `Retry-After`.
    case paymentCanOnlyAfford
    /// 429 from an upstream provider: "Provider returned error", `metadata.provider_name` and
    /// `metadata.raw`, `Retry-After`, and no `X-RateLimit-*` headers.
    case upstreamRateLimited
    /// 429 from OpenRouter for a daily limit (`free-models-per-day`): `X-RateLimit-Reset` is
    /// the next UTC midnight, hours away; no `Retry-After`.
    case dailyRateLimited
    /// 200 whose body is only a top-level `error` (code 429, "Provider returned error") and no `choices`.
    case bareError429In200
    /// 200 whose body is only a top-level `error` (code 502, "Provider returned error") and no `choices`.
    case bareError502In200
    /// 200 with a top-level `error` (code 502) next to `choices` (whose finish_reason is null).
    case errorBesideChoicesIn200
    /// Billed refusal: `finish_reason` and `native_finish_reason` "content_filter".
    case refusalContentFilter
    /// Billed refusal: "content_filter" / `IMAGE_PROHIBITED_CONTENT`.
    case refusalImageProhibitedContent
    /// Billed refusal: "content_filter" / `PROHIBITED_CONTENT`.
    case refusalProhibitedContent
    /// Billed refusal: "stop" / `IMAGE_SAFETY`.
    case refusalImageSafety
    /// Billed refusal: "stop" / `NO_IMAGE`.
    case refusalNoImage
    /// Billed refusal: "stop" / `IMAGE_OTHER`.
    case refusalImageOther

    /// The short name used on the `fake-openrouter` command line (`--faults 429,reset,...`).
    public var cliName: String {
        switch self {
        case .rateLimited: return "429"
        case .serverError: return "500"
        case .badGateway: return "502"
        case .unavailable: return "503"
        case .timeoutEdge: return "524"
        case .overloaded: return "529"
        case .resetMidBody: return "reset"
        case .stall: return "stall"
        case .truncatedBody: return "truncate"
        case .malformedJSON: return "malformed"
        case .errorIn200: return "error200"
        case .noImages: return "noimages"
        case .paymentRequired: return "402"
        case .paymentInFlight: return "402inflight"
        case .paymentCanOnlyAfford: return "402afford"
        case .upstreamRateLimited: return "429upstream"
        case .dailyRateLimited: return "429daily"
        case .bareError429In200: return "error200bare429"
        case .bareError502In200: return "error200bare502"
        case .errorBesideChoicesIn200: return "error200beside"
        case .refusalContentFilter: return "refuse-content-filter"
        case .refusalImageProhibitedContent: return "refuse-image-prohibited-content"
        case .refusalProhibitedContent: return "refuse-prohibited-content"
        case .refusalImageSafety: return "refuse-image-safety"
        case .refusalNoImage: return "refuse-no-image"
        case .refusalImageOther: return "refuse-image-other"
        }
    }

    /// The kinds `fake-openrouter --fault-rate R` picks among without `--faults`: the
    /// transient ones a correct client retries through (every kind before the 402s, except stall).
    public static let classicTransient: [FaultKind] = [
        .rateLimited, .serverError, .badGateway, .unavailable, .timeoutEdge, .overloaded, .resetMidBody,
        .truncatedBody, .malformedJSON, .errorIn200, .noImages,
    ]

    /// Parses a command-line name (`"429"`, `"reset"`, ...) or the case name itself
    /// (`"429key"` is accepted for `"429"`, OpenRouter's own key-level 429).
    public init?(cliName: String) {
        let name = cliName.trimmingCharacters(in: .whitespaces)
        if name == "429key" {
            self = .rateLimited
        } else if let kind = FaultKind.allCases.first(where: { $0.cliName == name || $0.rawValue == name }) {
            self = kind
        } else {
            return nil
        }
    }

    /// The HTTP status of a plain error fault, nil for the others.
    var errorStatus: Int? {
        switch self {
        case .rateLimited: return 429
        case .serverError: return 500
        case .badGateway: return 502
        case .unavailable: return 503
        case .timeoutEdge: return 524
        case .overloaded: return 529
        case .paymentRequired: return 402
        default: return nil
        }
    }
}

/// Which failures the fake injects, decided by a seeded RNG per (request identity, attempt)
/// so that runs are reproducible and a correct client always finishes.
public struct FaultPlan: Sendable {
    /// Probability (0...1) that an eligible attempt is faulted.
    public var rate: Double = 0
    /// The kinds to choose from (uniformly, by the seeded RNG). Empty: no random faults.
    public var kinds: [FaultKind] = []
    /// Seed of the per-(identity, attempt) RNG.
    public var seed: UInt64 = 0
    /// Only a request identity's first K attempts can be faulted (identity = hash of path and body).
    public var maxFaultedAttempts: Int = 2
    /// Every generation request after the first K gets 402 (out of credits).
    public var paymentRequiredAfter: Int? = nil
    /// Every request after the first K generation requests gets 401 (key disabled).
    public var unauthorizedAfter: Int? = nil
    /// Value of `Retry-After` for 429 and 503 faults (fractions are written as decimals).
    public var retryAfterSeconds: Double = 1
    /// How long a `.stall` fault holds the connection before closing it.
    public var stallSeconds: Double = 30
    /// A weighted mix: each kind's probability per attempt (on a request's first
    /// `maxFaultedAttempts` attempts only). When not empty it replaces `rate` and `kinds`.
    /// One uniform draw per attempt, seeded like `rate`/`kinds`, walks the kinds in
    /// `FaultKind.allCases` order; the probabilities should sum to at most 1.
    public var mix: [FaultKind: Double] = [:]
    /// While more than this many generation requests are in flight at once (this one
    /// included), a generation request gets 402 `in_flight_budget_exhausted` with `Retry-After`.
    public var inFlightBudget: Int? = nil
    /// Once this many generations have been billed, every generation request gets 403
    /// "Key limit exceeded (daily limit)" and `GET /key` shows `limit_remaining: 0`.
    public var keyLimitAfterGenerations: Int? = nil
    /// Per key (Bearer token): generation requests beyond this many within
    /// `rateLimitWindowSeconds` get OpenRouter's own 429 with `X-RateLimit-*` headers whose
    /// reset is when the oldest counted request leaves the window. Refused requests do not count.
    public var requestsPerMinute: Int? = nil
    /// The window of `requestsPerMinute` (60; tests shorten it).
    public var rateLimitWindowSeconds: Double = 60

    public init(
        rate: Double = 0,
        kinds: [FaultKind] = [],
        seed: UInt64 = 0,
        maxFaultedAttempts: Int = 2,
        paymentRequiredAfter: Int? = nil,
        unauthorizedAfter: Int? = nil,
        retryAfterSeconds: Double = 1,
        stallSeconds: Double = 30,
        mix: [FaultKind: Double] = [:],
        inFlightBudget: Int? = nil,
        keyLimitAfterGenerations: Int? = nil,
        requestsPerMinute: Int? = nil,
        rateLimitWindowSeconds: Double = 60
    ) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.maxFaultedAttempts = maxFaultedAttempts
        self.paymentRequiredAfter = paymentRequiredAfter
        self.unauthorizedAfter = unauthorizedAfter
        self.retryAfterSeconds = retryAfterSeconds
        self.stallSeconds = stallSeconds
        self.mix = mix
        self.inFlightBudget = inFlightBudget
        self.keyLimitAfterGenerations = keyLimitAfterGenerations
        self.requestsPerMinute = requestsPerMinute
        self.rateLimitWindowSeconds = rateLimitWindowSeconds
    }

    /// No faults at all.
    public static let none = FaultPlan()
}
