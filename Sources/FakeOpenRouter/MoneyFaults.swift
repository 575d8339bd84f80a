import Foundation

/// The answers where money or the key's limits are at stake, as the real service sends them
/// (see "How the real service behaves where money is at stake" in the project's OpenRouter
/// reference): the three 402s, the key's spend cap (403), OpenRouter's own 429s (key rate
/// limit, daily limit) against an upstream provider's 429, and 200s that carry an error.
extension FakeCore {
    static let inFlightMessage =
        "This request would exceed your available credits given your current in-flight requests. "
        + "Retry after in-flight requests settle."
    static let keyLimitMessage = "Key limit exceeded (daily limit). Manage it using https://openrouter.ai/settings/keys"
    static let upstreamRateLimitRaw =
        " is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate "
        + "your rate limits: https://openrouter.ai/settings/integrations"
    static let upstreamBadGatewayRaw =
        "upstream connect error or disconnect/reset before headers. reset reason: connection termination"

    /// The error reply of an error-shaped fault kind (plan or `#fake:fault=`), nil for kinds
    /// that bend a 200 or its delivery.
    func faultError(_ kind: FaultKind, identity: UInt64, request: IncomingRequest, model: String? = nil) -> Reply? {
        if let status = kind.errorStatus {
            return statusError(status, identity: identity, request: request, model: model)
        }
        let retryAfter = max(config.faults.retryAfterSeconds, 0)
        switch kind {
        case .paymentInFlight:
            openRetryWindow(identity: identity, request: request, after: retryAfter)
            return .error(
                402, FakeCore.inFlightMessage, metadata: .object([("reason", .string("in_flight_budget_exhausted"))]),
                userID: true, escapeSlashes: escape, headers: [("Retry-After", Reply.retryAfterValue(retryAfter))])
        case .paymentCanOnlyAfford:
            let requested = maxTokens(request) ?? 32_768
            let affordable = max(1, requested / 3)
            return .error(
                402,
                "This request requires more credits, or fewer max_tokens. You requested up to \(requested) tokens, "
                    + "but can only afford \(affordable). To increase, visit https://openrouter.ai/settings/credits "
                    + "and add more credits",
                userID: true, escapeSlashes: escape)
        case .upstreamRateLimited:
            let modelID = model ?? modelOf(request) ?? ""
            openRetryWindow(identity: identity, request: request, after: retryAfter)
            return .error(
                429, "Provider returned error",
                metadata: .object([
                    ("raw", .string(modelID + FakeCore.upstreamRateLimitRaw)),
                    ("provider_name", .string(providerName(for: modelID))),
                ]),
                userID: true, escapeSlashes: escape, headers: [("Retry-After", Reply.retryAfterValue(retryAfter))])
        case .dailyRateLimited:
            // Resets at the next UTC midnight: hours away. No Retry-After.
            let now = Date().timeIntervalSince1970
            let reset = (now / 86_400).rounded(.down) * 86_400 + 86_400
            openRetryWindow(identity: identity, request: request, after: reset - now)
            return keyRateLimited(
                message: "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
                limit: 50, resetEpochSeconds: reset, retryAfter: nil)
        default:
            return nil
        }
    }

    /// OpenRouter's own 429 (the key's limit): `X-RateLimit-Limit`, `-Remaining` (0) and
    /// `-Reset` (epoch milliseconds) as headers and in `error.metadata.headers`.
    func keyRateLimited(message: String, limit: Int, resetEpochSeconds: Double, retryAfter: Double?) -> Reply {
        let limits: [(String, String)] = [
            ("X-RateLimit-Limit", String(limit)), ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", String(Int64((resetEpochSeconds * 1000).rounded(.up)))),
        ]
        var headers = limits
        if let retryAfter { headers.insert(("Retry-After", Reply.retryAfterValue(retryAfter)), at: 0) }
        let metadata: JSONOut = .object([
            ("headers", .object(limits.map { ($0.0, .string($0.1)) })), ("provider_name", .null),
        ])
        return .error(429, message, metadata: metadata, userID: true, escapeSlashes: escape, headers: headers)
    }

    /// `FaultPlan.requestsPerMinute` spent: the key-level 429, reset when the oldest counted
    /// request leaves the window.
    func requestsPerMinuteExceeded(freesAt: Double, identity: UInt64, request: IncomingRequest) -> Reply {
        let wait = max(freesAt - request.receivedAt, 0)
        // Milliseconds, rounded up, so a client that waits exactly Retry-After finds the slot free.
        let retryAfter = (wait * 1000).rounded(.up) / 1000
        openRetryWindow(identity: identity, request: request, after: retryAfter)
        return keyRateLimited(
            message: "Rate limit exceeded: requests-per-min.", limit: max(config.faults.requestsPerMinute ?? 0, 0),
            resetEpochSeconds: Date().timeIntervalSince1970 + wait, retryAfter: retryAfter)
    }

    /// The key's spend cap: 403, no `Retry-After`; every further generation request gets it.
    func keyLimitExceeded() -> Reply {
        .error(403, FakeCore.keyLimitMessage, escapeSlashes: escape)
    }

    /// The error object of a provider failure carried in a 200 (`bareErrorIn200`,
    /// `errorBesideChoices`): no `error_type`.
    func providerErrorObject(code: Int, model: String) -> JSONOut {
        let raw =
            code == 429
            ? "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}"
            : FakeCore.upstreamBadGatewayRaw
        return .object([
            ("message", .string("Provider returned error")), ("code", .int(code)),
            ("metadata", .object([("raw", .string(raw)), ("provider_name", .string(providerName(for: model)))])),
        ])
    }

    /// A retry of this identity before `after` seconds from when the answer is sent is early.
    private func openRetryWindow(identity: UInt64, request: IncomingRequest, after seconds: Double) {
        let sentAt = request.receivedAt + max(config.latency, 0)
        state.withLock { $0.retryNotBefore[identity] = sentAt + seconds }
    }

    private func modelOf(_ request: IncomingRequest) -> String? {
        guard case .success(let object) = JSONIn.object(request.body) else { return nil }
        return JSONIn.string(object["model"])
    }

    private func maxTokens(_ request: IncomingRequest) -> Int? {
        guard case .success(let object) = JSONIn.object(request.body) else { return nil }
        return JSONIn.integer(object["max_tokens"]) ?? JSONIn.integer(object["max_completion_tokens"])
    }
}

extension AnswerMode {
    /// The 200 a fault kind bends an answer into, nil for kinds that are errors or that cut
    /// the delivery (reset, truncate, stall, malformed JSON).
    init?(_ kind: FaultKind) {
        switch kind {
        case .errorIn200: self = .errorIn200
        case .noImages: self = .noImages
        case .bareError429In200: self = .bareErrorIn200(429)
        case .bareError502In200: self = .bareErrorIn200(502)
        case .errorBesideChoicesIn200: self = .errorBesideChoices
        default:
            guard let refusal = Refusal(kind: kind) else { return nil }
            self = .refusal(refusal)
        }
    }
}
