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
        guard attempt >= 1, attempt <= plan.maxFaultedAttempts else { return nil }
        var rng = SplitMix64(
            seed: plan.seed ^ (identity &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(attempt) &* 0xD1B5_4A32_D192_ED03))
        _ = rng.next()
        if !plan.mix.isEmpty {
            // One uniform draw against the cumulative probabilities, in a fixed kind order.
            let roll = rng.nextDouble()
            var cumulative = 0.0
            for kind in FaultKind.allCases {
                guard let probability = plan.mix[kind], probability > 0 else { continue }
                cumulative += probability
                if roll < cumulative { return kind }
            }
            return nil
        }
        guard plan.rate > 0, !plan.kinds.isEmpty else { return nil }
        guard rng.nextDouble() < plan.rate else { return nil }
        return plan.kinds[Int(rng.next() % UInt64(plan.kinds.count))]
    }

    /// Whether a kind can be expressed on an endpoint (a 200-shaped fault needs a JSON
    /// body of the right kind; speech answers are raw audio).
    static func applies(_ kind: FaultKind, to endpoint: Endpoint) -> Bool {
        if endpoint == .videos {
            // A submit answers 202 with a small JSON: errors, and answers lost after the job was made.
            switch kind {
            case .resetMidBody, .truncatedBody, .stall, .paymentInFlight, .upstreamRateLimited, .dailyRateLimited: return true
            default: return kind.errorStatus != nil
            }
        }
        switch kind {
        case .malformedJSON: return endpoint != .speech
        case .noImages: return endpoint != .speech
        case .errorIn200, .bareError429In200, .bareError502In200, .errorBesideChoicesIn200: return endpoint == .chat
        case .refusalContentFilter, .refusalImageProhibitedContent, .refusalProhibitedContent, .refusalImageSafety,
            .refusalNoImage, .refusalImageOther:
            return endpoint == .chat
        default: return true
        }
    }
}

/// The generation endpoints faults can hit.
enum Endpoint: Sendable, Equatable {
    case chat
    case images
    case speech
    /// `POST /videos`: submitting a video job.
    case videos

    init?(method: String, path: String) {
        guard method == "POST" else { return nil }
        switch path {
        case "/chat/completions": self = .chat
        case "/images": self = .images
        case "/audio/speech": self = .speech
        case "/videos": self = .videos
        default: return nil
        }
    }
}

/// How a successful answer must be bent by a 200-shaped fault.
enum AnswerMode: Sendable, Equatable {
    case normal
    case malformedJSON
    /// `choices[0].finish_reason == "error"` with `choices[0].error`.
    case errorIn200
    case noImages
    /// Only a top-level `error` with this code, no `choices`.
    case bareErrorIn200(Int)
    /// A top-level `error` next to `choices`.
    case errorBesideChoices
    /// A billed refusal with no image.
    case refusal(Refusal)
}

/// A chat image refusal: billed (the prompt, and Gemini's thinking), no image.
/// `content_filter`, `IMAGE_PROHIBITED_CONTENT` and `PROHIBITED_CONTENT` are deterministic
/// (retrying does not help); `IMAGE_SAFETY`, `NO_IMAGE` and `IMAGE_OTHER` sometimes succeed
/// once more.
enum Refusal: String, Sendable, Equatable, CaseIterable {
    case contentFilter = "content_filter"
    case imageProhibitedContent = "image_prohibited_content"
    case prohibitedContent = "prohibited_content"
    case imageSafety = "image_safety"
    case noImage = "no_image"
    case imageOther = "image_other"

    /// From a directive value: `content_filter`, `image_safety`, ... (hyphens accepted).
    init?(directive: String) {
        self.init(rawValue: directive.replacingOccurrences(of: "-", with: "_"))
    }

    init?(kind: FaultKind) {
        switch kind {
        case .refusalContentFilter: self = .contentFilter
        case .refusalImageProhibitedContent: self = .imageProhibitedContent
        case .refusalProhibitedContent: self = .prohibitedContent
        case .refusalImageSafety: self = .imageSafety
        case .refusalNoImage: self = .noImage
        case .refusalImageOther: self = .imageOther
        default: return nil
        }
    }

    var finishReason: String { deterministic ? "content_filter" : "stop" }

    var nativeFinishReason: String {
        self == .contentFilter ? "content_filter" : rawValue.uppercased()
    }

    /// Retrying does not help.
    var deterministic: Bool { [.contentFilter, .imageProhibitedContent, .prohibitedContent].contains(self) }

    var content: String {
        switch self {
        case .imageSafety: return "I can't generate that image."
        case .noImage: return "I was unable to generate an image for this request."
        default: return ""
        }
    }
}
