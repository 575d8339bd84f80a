/// Deterministic fault decisions: each (request identity, attempt number) gets its own
/// SplitMix64 stream derived from the plan's seed, so the same client run against the same
/// plan meets the same faults, and attempts past `maxFaultedAttempts` always succeed.
enum Faults {
    /// A request's identity: a hash of its path and body (retries of one task share it).
    static func identity(path: String, body: [UInt8]) -> UInt64 {
        FNV1a.hash(body, into: FNV1a.hash(Array(path.utf8)))
    }

    /// The fault for this attempt (1-based), or nil.
    static func draw(plan: FaultPlan, identity: UInt64, attempt: Int) -> FaultKind? {
        guard attempt >= 1, attempt <= plan.maxFaultedAttempts, plan.rate > 0, !plan.kinds.isEmpty else {
            return nil
        }
        var rng = SplitMix64(
            seed: plan.seed ^ (identity &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(attempt) &* 0xD1B5_4A32_D192_ED03))
        _ = rng.next()
        guard rng.nextDouble() < plan.rate else { return nil }
        return plan.kinds[Int(rng.next() % UInt64(plan.kinds.count))]
    }

    /// Whether a kind can be expressed on an endpoint (a 200-shaped fault needs a JSON
    /// body of the right kind; speech answers are raw audio).
    static func applies(_ kind: FaultKind, to endpoint: Endpoint) -> Bool {
        switch kind {
        case .malformedJSON: return endpoint != .speech
        case .noImages: return endpoint != .speech
        case .errorIn200: return endpoint == .chat
        default: return true
        }
    }
}

/// The generation endpoints faults can hit.
enum Endpoint: Sendable, Equatable {
    case chat
    case images
    case speech

    init?(method: String, path: String) {
        guard method == "POST" else { return nil }
        switch path {
        case "/chat/completions": self = .chat
        case "/images": self = .images
        case "/audio/speech": self = .speech
        default: return nil
        }
    }
}

/// How a successful answer must be bent by a 200-shaped fault.
enum AnswerMode: Sendable, Equatable {
    case normal
    case malformedJSON
    case errorIn200
    case noImages
}
