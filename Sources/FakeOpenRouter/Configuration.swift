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

    public init() {}
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
        }
    }

    /// Parses a command-line name (`"429"`, `"reset"`, ...) or the case name itself.
    public init?(cliName: String) {
        let name = cliName.trimmingCharacters(in: .whitespaces)
        if let kind = FaultKind.allCases.first(where: { $0.cliName == name || $0.rawValue == name }) {
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

    public init(
        rate: Double = 0,
        kinds: [FaultKind] = [],
        seed: UInt64 = 0,
        maxFaultedAttempts: Int = 2,
        paymentRequiredAfter: Int? = nil,
        unauthorizedAfter: Int? = nil,
        retryAfterSeconds: Double = 1,
        stallSeconds: Double = 30
    ) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.maxFaultedAttempts = maxFaultedAttempts
        self.paymentRequiredAfter = paymentRequiredAfter
        self.unauthorizedAfter = unauthorizedAfter
        self.retryAfterSeconds = retryAfterSeconds
        self.stallSeconds = stallSeconds
    }

    /// No faults at all.
    public static let none = FaultPlan()
}
