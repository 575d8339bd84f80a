import Glibc
import JSON
import Support
import Tasks

/// Turns OpenRouter's error answers into classified failures, the way its documentation and
/// public reports say the service behaves where money is at stake (see the API reference):
/// a 402 may be a wait or the end of the credit, a 403 a refusal or a spend limit, a 429
/// the key's limit or one busy provider, and a 200 may carry an error.
public enum ErrorClassifier {
    package static let transientStatuses: Set<Int> = [408, 429, 500, 502, 503, 504, 524, 529]
    package static let transientErrorTypes: Set<String> = ["rate_limit_exceeded", "provider_overloaded", "provider_unavailable", "timeout", "server"]

    /// A non-2xx answer: OpenRouter's `{"error":{code,message,metadata}}` where present.
    /// `headers` are the answer's (lower-case names), for `X-RateLimit-*`.
    public static func failure(
        status: Int, body: ByteArray, retryAfter: Double?, headers: [(name: String, value: String)] = []
    ) -> TaskFailure {
        let error = body.count <= 1 << 20 ? (try? body.withUnsafeBytes { try JSONEncoding.parse($0, source: "response") })?["error"] : nil
        let fallback = body.count > 0 && body.count < 300 ? String(decoding: body.bytes, as: UTF8.self) : "no error message"
        return failure(error: error, status: status, retryAfter: retryAfter, headers: headers, fallbackMessage: fallback)
    }

    /// A top-level `error` inside a 200 (with or without `choices`): classified by its
    /// `code` first (as if it were the status), then `metadata.error_type`, then
    /// `availability.retryable`.
    package static func failure(inBodyError error: JSON, headers: [(name: String, value: String)] = []) -> TaskFailure {
        let code = error["code"]?.intValue.map { Int($0) }
        if let code, code >= 400 {
            var failure = failure(error: error, status: code, retryAfter: nil, headers: headers, fallbackMessage: "the answer held an error")
            failure.details["status"] = "200 (error \(code) inside)"
            return failure
        }
        return failure(inChoiceError: error, status: 200)
    }

    /// `choices[].finish_reason == "error"` inside a 200.
    package static func failure(inChoiceError error: JSON?, status: Int) -> TaskFailure {
        let errorType = error?["metadata"]?["error_type"]?.stringValue ?? ""
        let message = error?["message"]?.stringValue ?? "the model finished with an error"
        let retryable = error?["availability"]?["retryable"]?.boolValue ?? false
        let kind: TaskFailure.Kind = transientErrorTypes.contains(errorType) || retryable ? .transient : .permanent
        return TaskFailure(
            kind, cause: .api(code: errorType.isEmpty ? nil : errorType), status: status, message: message,
            details: errorType.isEmpty ? [:] : ["error_type": errorType])
    }

    private static func failure(
        error: JSON?, status: Int, retryAfter: Double?, headers: [(name: String, value: String)], fallbackMessage: String
    ) -> TaskFailure {
        var message = error?["message"]?.stringValue ?? fallbackMessage
        if message.count > 500 { message = String(message.prefix(500)) + "…" }
        let metadata = error?["metadata"]?.objectValue
        var details: [String: String] = [:]
        if let metadata {
            if let reasons = metadata["reasons"]?.arrayValue { details["reasons"] = reasons.compactMap(\.stringValue).joined(separator: ", ") }
            if let flagged = metadata["flagged_input"]?.stringValue { details["flagged_input"] = String(flagged.prefix(200)) }
            if let provider = metadata["provider_name"]?.stringValue { details["provider"] = provider }
            if let raw = metadata["raw"]?.stringValue { details["raw"] = String(raw.prefix(300)) }
            if let reason = metadata["reason"]?.stringValue { details["reason"] = reason }
        }
        let code = error?["code"].flatMap { $0.stringValue ?? $0.intValue.map { String($0) } }
        let availability = error?["availability"]
        let retryable = availability?["retryable"]?.boolValue ?? false
        let serverWait = [retryAfter, availability?["retry_after"]?.doubleValue].compactMap { $0 }.max()
        let lower = message.lowercased()

        var throttle: TaskFailure.Throttle?
        let kind: TaskFailure.Kind
        switch status {
        case 401:
            kind = .unauthorized
        case 402 where details["reason"] == "in_flight_budget_exhausted" || serverWait != nil:
            // Credit is left; the requests in flight hold it. Wait, with fewer at once.
            kind = .transient
            throttle = .inFlightBudget
        case 402 where lower.contains("can only afford") || lower.contains("fewer max_tokens"):
            // This one request asks for more than the credit left: the others may fit.
            kind = .permanent
        case 402:
            kind = .paymentRequired
        case 403 where lower.contains("key limit exceeded") || (lower.contains("budget") && lower.contains("exceeded")):
            kind = .keyLimit
        case 403 where details["reasons"] != nil || details["flagged_input"] != nil || lower.contains("moderation") || lower.contains("flagged"):
            kind = .refused
        case 429:
            kind = .transient
            throttle = rateLimitScope(headers: headers, metadata: metadata, message: lower)
        case _ where transientStatuses.contains(status) || retryable:
            kind = .transient
        default:
            kind = .permanent
        }
        var failure = TaskFailure(kind, cause: .api(code: code), status: status, message: message, retryAfter: serverWait, details: details)
        failure.throttle = throttle
        if case .key? = throttle { failure.keyRateLimit = rateLimitHeader(headers: headers, metadata: metadata) }
        if kind == .refused { failure.refusal = details["reasons"] ?? "moderation" }
        return failure
    }

    /// `X-RateLimit-Limit`, from the headers or from `error.metadata.headers`.
    private static func rateLimitHeader(headers: [(name: String, value: String)], metadata: JSONObject?) -> Int? {
        if let value = headers.first(where: { $0.name.lowercased() == "x-ratelimit-limit" })?.value, let limit = Int(value.trimmingWhitespace()) {
            return limit > 0 ? limit : nil
        }
        for (name, value) in metadata?["headers"]?.objectValue ?? [:] where name.lowercased() == "x-ratelimit-limit" {
            if let limit = value.intValue.map({ Int($0) }) ?? value.stringValue.flatMap({ Int($0) }), limit > 0 { return limit }
        }
        return nil
    }

    /// Whose limit a 429 is: OpenRouter's own (it carries `X-RateLimit-*`, in the headers or
    /// in `error.metadata.headers`) or one upstream provider's ("Provider returned error",
    /// `metadata.provider_name`). An answer that says neither is taken as the key's, the
    /// careful reading.
    private static func rateLimitScope(headers: [(name: String, value: String)], metadata: JSONObject?, message: String) -> TaskFailure.Throttle {
        var reset = headers.first { $0.name.lowercased() == "x-ratelimit-reset" }.flatMap { Double($0.value) }
        var keyScoped = reset != nil || headers.contains { $0.name.lowercased().hasPrefix("x-ratelimit-") }
        if let inner = metadata?["headers"]?.objectValue {
            for (name, value) in inner where name.lowercased().hasPrefix("x-ratelimit-") {
                keyScoped = true
                if name.lowercased() == "x-ratelimit-reset" { reset = reset ?? value.doubleValue ?? value.stringValue.flatMap(Double.init) }
            }
        }
        if keyScoped { return .key(resetAt: reset.map { $0 / 1000 }) }  // epoch milliseconds
        if metadata?["provider_name"] != nil || message.contains("provider returned error") { return .provider }
        return .key(resetAt: nil)
    }
}
