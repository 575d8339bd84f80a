import Foundation

/// The bookkeeping endpoints a batch client calls around generations: `GET /generation`
/// (final cost of an id the fake issued), `GET /key` (credits left) and `GET /model/{id}`.
extension FakeCore {
    func generation(_ request: IncomingRequest) -> Reply {
        guard let id = request.queryValue("id"), !id.isEmpty else {
            return .error(400, "Missing required query parameter: id", escapeSlashes: escape)
        }
        // Unknown, or not yet visible (`generationDelaySeconds` after the generation ended).
        guard let record = state.withLock({ $0.generations[id] }), monotonicSeconds() >= record.visibleAt else {
            return .error(404, "Generation \(id) not found", escapeSlashes: escape)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let data: JSONOut = .object([
            ("id", .string(record.id)), ("upstream_id", .string("fake-" + record.id)),
            ("total_cost", .double(record.cost)), ("cache_discount", .null),
            ("upstream_inference_cost", .double(record.cost)),
            ("created_at", .string(formatter.string(from: record.createdAt))),
            ("model", .string(record.model)), ("app_id", .null), ("streamed", .bool(false)),
            ("cancelled", .bool(record.cancelled)), ("provider_name", .string(record.provider)),
            ("latency", .int(Int(config.latency * 1000))), ("moderation_latency", .null),
            ("generation_time", .int(Int(config.latency * 1000))),
            ("finish_reason", .string(record.finishReason)),
            ("native_finish_reason", .string(record.nativeFinishReason)),
            ("tokens_prompt", .int(record.tokensPrompt)), ("tokens_completion", .int(record.tokensCompletion)),
            ("native_tokens_prompt", .int(record.tokensPrompt)),
            ("native_tokens_completion", .int(record.tokensCompletion)),
            ("native_tokens_completion_images", .int(record.mediaCount > 0 ? record.tokensCompletion : 0)),
            ("native_tokens_reasoning", .int(0)), ("native_tokens_cached", .int(0)),
            ("num_media_prompt", .int(0)), ("num_media_completion", .int(record.mediaCount)),
            ("num_search_results", .int(0)), ("origin", .string("")), ("usage", .double(record.cost)),
            ("is_byok", .bool(false)), ("api_type", .string(record.apiType)),
        ])
        return .json(200, .object([("data", data)]), escapeSlashes: escape)
    }

    func keyInfo() -> Reply {
        let (usage, generations, billed) = state.withLock { ($0.usage, $0.generationRequests, $0.stats.billedGenerations) }
        var remaining = max(0, 100.0 - usage)
        if let limit = config.faults.paymentRequiredAfter, generations >= limit { remaining = 0 }
        var limit: JSONOut = .null
        var reset: JSONOut = .null
        if let cap = config.faults.keyLimitAfterGenerations {
            // A daily spend cap: 100 USD until the K-th billed generation, then exactly what was spent.
            reset = .string("daily")
            if billed >= cap {
                remaining = 0
                limit = .double(roundedCost(usage))
            } else {
                limit = .double(100)
            }
        }
        let data: JSONOut = .object([
            ("label", .string("fake")), ("limit", limit), ("limit_remaining", .double(roundedCost(remaining))),
            ("limit_reset", reset), ("include_byok_in_limit", .bool(false)),
            ("usage", .double(roundedCost(usage))), ("usage_daily", .double(roundedCost(usage))),
            ("usage_weekly", .double(roundedCost(usage))), ("usage_monthly", .double(roundedCost(usage))),
            ("byok_usage", .double(0)), ("byok_usage_daily", .double(0)),
            ("byok_usage_weekly", .double(0)), ("byok_usage_monthly", .double(0)),
            ("is_free_tier", .bool(false)), ("is_management_key", .bool(false)),
            ("is_provisioning_key", .bool(false)), ("expires_at", .null),
            ("rate_limit", .object([
                ("requests", .int(-1)), ("interval", .string("10s")),
                ("note", .string("This field is deprecated and safe to ignore.")),
            ])),
        ])
        return .json(200, .object([("data", data)]), escapeSlashes: escape)
    }

    func modelLookup(_ id: String) -> Reply {
        if let document = Catalog.modelDocument(id: id) { return .json(200, document, escapeSlashes: escape) }
        return .error(404, "Model \(id) not found", escapeSlashes: escape)
    }
}
