import Foundation
import NIOCore

/// The fake's request logic, independent of sockets: bookkeeping, authentication, the fault
/// plan, then dispatch to an endpoint. Runs on the thread pool; all shared state goes
/// through one lock.
final class FakeCore: Sendable {
    let config: FakeConfiguration
    let state = Locked(ServerState())
    let images: ImageStore

    init(configuration: FakeConfiguration) {
        config = configuration
        images = ImageStore(escapeSlashes: configuration.escapeSlashes, benchBytes: configuration.imageBytes)
    }

    var escape: Bool { config.escapeSlashes }

    private enum Gate {
        case proceed
        case unauthorized
        case paymentRequired
        case keyLimit
        /// The key's per-minute budget is spent; a slot frees at this monotonic time.
        case rateLimited(freesAt: Double)
        case inFlightBudget
        case fault(FaultKind)
    }

    func handle(_ request: IncomingRequest) -> Reply {
        if request.path.hasPrefix("/__fake/") { return control(request) }
        let endpoint = Endpoint(method: request.method, path: request.path)
        let identity = endpoint == nil ? 0 : Faults.identity(path: request.path, body: request.body)
        let authorized = isAuthorized(request)
        let key = bearerToken(request) ?? ""
        let plan = config.faults
        let (gate, attempt): (Gate, Int) = state.withLock { state in
            state.record(
                RecordedRequest(
                    method: request.method, path: request.path, query: request.query, headers: request.headers,
                    body: request.body, receivedAt: request.receivedAt))
            guard authorized else { return (.unauthorized, 0) }
            guard let endpoint else {
                if let limit = plan.unauthorizedAfter, state.generationRequests >= limit { return (.unauthorized, 0) }
                return (.proceed, 0)
            }
            state.generationRequests += 1
            let number = state.generationRequests
            let attempt = state.attempts[identity, default: 0] + 1
            state.attempts[identity] = attempt
            if attempt == 1 { state.firstSeenOrder[identity] = state.firstSeenOrder.count }
            if let notBefore = state.retryNotBefore[identity], request.receivedAt < notBefore - 0.01 {
                state.stats.earlyRetries += 1
            }
            if let limit = plan.unauthorizedAfter, number > limit { return (.unauthorized, attempt) }
            if let limit = plan.requestsPerMinute {
                let window = max(plan.rateLimitWindowSeconds, 0.001)
                var times = state.rateWindows[key, default: []]
                times.removeAll { $0 <= request.receivedAt - window }
                if times.count >= max(limit, 0) {
                    state.rateWindows[key] = times
                    state.stats.rateLimited += 1
                    return (.rateLimited(freesAt: (times.first ?? request.receivedAt) + window), attempt)
                }
                times.append(request.receivedAt)
                state.rateWindows[key] = times
            }
            if let limit = plan.paymentRequiredAfter, number > limit { return (.paymentRequired, attempt) }
            if let limit = plan.keyLimitAfterGenerations, state.stats.billedGenerations >= limit {
                return (.keyLimit, attempt)
            }
            if let budget = plan.inFlightBudget, state.generationsInFlight > max(budget, 0) {
                return (.inFlightBudget, attempt)
            }
            if let kind = Faults.draw(plan: plan, identity: identity, attempt: attempt),
                Faults.applies(kind, to: endpoint)
            {
                state.stats.faultsInjected += 1
                if kind == .stall, let first = state.firstGenerationAt {
                    state.stats.stallStarts.append(((request.receivedAt - first) * 1000).rounded() / 1000)
                    state.stats.stallAttempts.append(attempt)
                    state.stats.stallOrders.append(state.firstSeenOrder[identity] ?? 0)
                }
                return (.fault(kind), attempt)
            }
            return (.proceed, attempt)
        }

        var mode = AnswerMode.normal
        var delivery: FaultKind?
        switch gate {
        case .unauthorized:
            return .error(401, Reply.standardMessage(for: 401), escapeSlashes: escape)
        case .paymentRequired:
            return .error(402, Reply.standardMessage(for: 402), userID: true, escapeSlashes: escape)
        case .keyLimit:
            return keyLimitExceeded()
        case .rateLimited(let freesAt):
            return requestsPerMinuteExceeded(freesAt: freesAt, identity: identity, request: request)
        case .inFlightBudget:
            return faultError(.paymentInFlight, identity: identity, request: request)
                ?? .error(402, FakeCore.inFlightMessage, escapeSlashes: escape)
        case .fault(let kind):
            if let reply = faultError(kind, identity: identity, request: request) { return reply }
            if let faultMode = AnswerMode(kind) { mode = faultMode } else { delivery = kind }
        case .proceed:
            break
        }

        let context = GenerationContext(identity: identity, attempt: attempt, mode: mode)
        var reply = route(request, context: context)
        if let kind = delivery ?? reply.deliveryFault {
            switch kind {
            case .resetMidBody: reply.delivery = .resetMidBody
            case .truncatedBody: reply.delivery = .truncated
            case .stall: reply.delivery = .stall(max(plan.stallSeconds, 0))
            case .malformedJSON: reply = malformed(reply)
            default: break
            }
        }
        reply.deliveryFault = nil
        if reply.status == 200, endpoint == .images || endpoint == .speech {
            reply.extraDelay += max(config.mediaFirstByteSeconds, 0)
        }
        if reply.status == 200, endpoint == .chat, let interval = config.chatKeepAliveSeconds, interval > 0 {
            reply.keepAliveInterval = interval
        }
        if let bill = reply.bill, bill.when == .generated || bill.when == .unbilled {
            // The generation ends when its answer is due, whatever becomes of the transfer.
            let endsAt = request.receivedAt + max(config.latency, 0) + reply.extraDelay
            var record = bill.record
            record.visibleAt = endsAt + max(config.generationDelaySeconds, 0)
            if bill.when == .unbilled {
                record.cost = 0
                record.billed = false
            }
            state.withLock { $0.store(record) }
            reply.bill = nil
        }
        return reply
    }

    /// A request whose body exceeds 64 MiB: recorded without its body, answered 413.
    func tooLarge(method: String, path: String) -> Reply {
        state.withLock { state in
            state.record(
                RecordedRequest(method: method, path: path, query: nil, headers: [], body: [], receivedAt: monotonicSeconds()))
        }
        return .error(413, Reply.standardMessage(for: 413), escapeSlashes: escape)
    }

    private func route(_ request: IncomingRequest, context: GenerationContext) -> Reply {
        let path = request.path
        let get = request.method == "GET"
        switch (request.method, path) {
        case ("POST", "/chat/completions"): return chatCompletions(request, context: context)
        case ("POST", "/images"): return generateImages(request, context: context)
        case ("POST", "/audio/speech"): return speech(request, context: context)
        case ("POST", "/videos"): return submitVideo(request, context: context)
        case (_, "/videos/models") where get:
            if let status = config.videoModelsStatus { return .error(status, Reply.standardMessage(for: status), escapeSlashes: escape) }
            return .json(200, VideoModelsCatalog.listDocument(), escapeSlashes: escape)
        case (_, "/models") where get:
            return .json(200, Catalog.modelsDocument(outputModalities: request.queryValue("output_modalities")), escapeSlashes: escape)
        case (_, "/images/models") where get:
            return .json(200, ImageModelsCatalog.listDocument(), escapeSlashes: escape)
        case (_, "/generation") where get: return generation(request)
        case (_, "/key") where get: return keyInfo()
        default:
            break
        }
        if get, path.hasPrefix("/images/models/"), path.hasSuffix("/endpoints") {
            let id = String(path.dropFirst("/images/models/".count).dropLast("/endpoints".count))
            if let document = ImageModelsCatalog.endpointsDocument(id: id) {
                return .json(200, document, escapeSlashes: escape)
            }
            return .error(404, "Model \(id) not found", escapeSlashes: escape)
        }
        if get, path.hasPrefix("/videos/") {
            let rest = path.dropFirst("/videos/".count)
            if rest.hasSuffix("/content") {
                let id = String(rest.dropLast("/content".count))
                if !id.isEmpty, !id.contains("/") { return videoContent(request, id: id) }
            } else if !rest.isEmpty, !rest.contains("/") {
                return pollVideo(request, id: String(rest))
            }
        }
        if get, path.hasPrefix("/model/") {
            return modelLookup(String(path.dropFirst("/model/".count)))
        }
        let known = [
            "/chat/completions", "/images", "/audio/speech", "/models", "/images/models", "/generation", "/key", "/videos",
            "/videos/models",
        ]
        if known.contains(path) { return .error(405, "Method \(request.method) not allowed on \(path)", escapeSlashes: escape) }
        return .error(404, "Not Found", escapeSlashes: escape)
    }

    /// `/__fake/stats` (GET) and `/__fake/reset` (POST): for shell scripts; not recorded, no latency.
    private func control(_ request: IncomingRequest) -> Reply {
        var reply: Reply
        switch request.path {
        case "/__fake/stats":
            var buffer = ByteBufferAllocator().buffer(capacity: 256)
            buffer.writeString(stats().jsonString())
            reply = .bytes(200, contentType: "application/json", buffer)
        case "/__fake/reset" where request.method == "POST":
            reset()
            reply = .json(200, .object([("ok", .bool(true))]), escapeSlashes: false)
        default:
            reply = .error(404, "Not Found", escapeSlashes: escape)
        }
        reply.applyLatency = false
        return reply
    }

    func isAuthorized(_ request: IncomingRequest) -> Bool {
        guard let token = bearerToken(request) else { return false }
        if let accepted = config.acceptedKeys { return accepted.contains(token) }
        return true
    }

    /// The non-empty Bearer token of a request, or nil.
    func bearerToken(_ request: IncomingRequest) -> String? {
        guard let value = request.header("Authorization") else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The limit a random 429 fault names when no `--rpm` is set: a paid key's, high enough
    /// that a client pacing to it is not slowed (the fault stands for a passing burst).
    static let faultRateLimit = 6000

    /// An HTTP error as OpenRouter sends it; 429 and 503 carry `Retry-After` (429 also the
    /// `X-RateLimit-*` headers) and open an early-retry window for this request identity.
    func statusError(_ status: Int, identity: UInt64, request: IncomingRequest, model: String? = nil) -> Reply {
        var headers: [(String, String)] = []
        var metadata: JSONOut?
        let retryAfter = max(config.faults.retryAfterSeconds, 0)
        switch status {
        case 429, 503:
            headers.append(("Retry-After", Reply.retryAfterValue(retryAfter)))
            if status == 429 {
                let reset = String(Int64((Date().timeIntervalSince1970 + retryAfter) * 1000))
                let limits: [(String, String)] = [
                    ("X-RateLimit-Limit", String(config.faults.requestsPerMinute ?? Self.faultRateLimit)), ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", reset),
                ]
                headers += limits
                metadata = .object([("headers", .object(limits.map { ($0.0, .string($0.1)) })), ("provider_name", .null)])
            }
            let sentAt = request.receivedAt + max(config.latency, 0)
            state.withLock { $0.retryNotBefore[identity] = sentAt + retryAfter }
        case 502, 529:
            var fields: [(String, JSONOut)] = [("provider_name", .string(providerName(for: model ?? "")))]
            fields.append(status == 529 ? ("error_type", .string("provider_overloaded")) : ("raw", .string("upstream connect error")))
            metadata = .object(fields)
        case 403:
            metadata = .object([
                ("reasons", .array([.string("violence")])), ("flagged_input", .string("...")),
                ("provider_name", .string(providerName(for: model ?? ""))), ("model_slug", .string(model ?? "")),
            ])
        default:
            break
        }
        return .error(
            status, Reply.standardMessage(for: status), metadata: metadata, userID: status == 429 || status == 402,
            escapeSlashes: escape, headers: headers)
    }

    /// A 200 whose JSON body stops half way (valid HTTP, invalid JSON); its generation is
    /// billed as the whole answer would have been.
    private func malformed(_ reply: Reply) -> Reply {
        let keep = max(1, reply.body.readableBytes / 2)
        let cut = reply.body.getSlice(at: reply.body.readerIndex, length: min(keep, reply.body.readableBytes)) ?? reply.body
        var headers = reply.headers.filter { $0.0.lowercased() != "content-type" }
        headers.insert(("Content-Type", "application/json"), at: 0)
        var bent = reply
        bent.status = 200
        bent.headers = headers
        bent.body = cut
        return bent
    }

    func providerName(for model: String) -> String {
        Catalog.imageModel(model)?.provider ?? Catalog.speechModel(model)?.provider ?? "Google"
    }

    // MARK: ids, generations, stats

    /// "gen-<unix>-<20 characters>", unique within the process.
    func nextGenerationID() -> String {
        let counter = state.withLock { state -> UInt64 in
            state.idCounter += 1
            return state.idCounter
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SplitMix64(seed: counter &* 0x2545_F491_4F6C_DD1D ^ UInt64(ProcessInfo.processInfo.processIdentifier))
        var suffix = ""
        var remaining = counter
        for _ in 0..<6 {
            suffix.append(alphabet[Int(remaining % 62)])
            remaining /= 62
        }
        for _ in 0..<14 { suffix.append(alphabet[Int(rng.next() % 62)]) }
        return "gen-\(Int(Date().timeIntervalSince1970))-\(suffix)"
    }

    /// Settles a bill the connection handler carried: billed (the answer went out), or
    /// cancelled (cost 0) because it never did.
    func settle(_ bill: Bill, billed: Bool) {
        var record = bill.record
        record.visibleAt = monotonicSeconds() + max(config.generationDelaySeconds, 0)
        if !billed {
            record.cost = 0
            record.billed = false
            record.cancelled = true
        }
        state.withLock { $0.store(record) }
    }

    func stats() -> FakeStats { state.withLock { $0.stats } }
    func requests() -> [RecordedRequest] { state.withLock { $0.recorded } }
    func reset() { state.withLock { $0.reset() } }

    func connectionAccepted() { state.withLock { $0.stats.connectionsAccepted += 1 } }

    func requestStarted(generation: Bool) {
        state.withLock { state in
            state.stats.inFlight += 1
            state.stats.maxInFlight = max(state.stats.maxInFlight, state.stats.inFlight)
            if generation {
                if state.generationsInFlight == 0, let since = state.idleSince { state.stats.idleSeconds += monotonicSeconds() - since }
                if state.firstGenerationAt == nil { state.firstGenerationAt = monotonicSeconds() }
                state.generationsInFlight += 1
                state.stats.maxGenerationsInFlight = max(state.stats.maxGenerationsInFlight, state.generationsInFlight)
            }
        }
    }

    func requestFinished(generation: Bool) {
        state.withLock { state in
            state.stats.inFlight = max(state.stats.inFlight - 1, 0)
            if generation {
                state.generationsInFlight = max(state.generationsInFlight - 1, 0)
                if state.generationsInFlight == 0 { state.idleSince = monotonicSeconds() }
            }
        }
    }
}

/// What an endpoint needs to know of the attempt it answers.
struct GenerationContext: Sendable {
    /// Hash of path and body: retries of one task share it.
    let identity: UInt64
    /// 1-based attempt number of this identity.
    let attempt: Int
    /// How a 200 answer must be bent by the fault plan.
    let mode: AnswerMode
}

/// Costs as OpenRouter reports them: at most 10 decimals, no float noise.
func roundedCost(_ value: Double) -> Double { (value * 1e10).rounded() / 1e10 }

/// Seconds since the epoch, as JSON `created` fields want them.
func unixNow() -> Int { Int(Date().timeIntervalSince1970) }
