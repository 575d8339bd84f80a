import JSON
import Support
import Tasks

/// Turns an OpenRouter error response into a classified failure.
public enum ErrorClassifier {
    package static let transientStatuses: Set<Int> = [408, 429, 500, 502, 503, 504, 524, 529]
    package static let transientErrorTypes: Set<String> = ["rate_limit_exceeded", "provider_overloaded", "provider_unavailable", "timeout", "server"]

    /// A non-2xx response: OpenRouter's `{"error":{code,message,metadata}}` where present.
    public static func failure(status: Int, body: ByteArray, retryAfter: Double?) -> TaskFailure {
        let error = body.count <= 1 << 20 ? (try? body.withUnsafeBytes { try JSONEncoding.parse($0, source: "response") })?["error"] : nil
        var message = error?["message"]?.stringValue ?? (body.count > 0 && body.count < 300 ? String(decoding: body.bytes, as: UTF8.self) : "no error message")
        if message.count > 500 { message = String(message.prefix(500)) + "…" }
        var details: [String: String] = [:]
        if let metadata = error?["metadata"]?.objectValue {
            if let reasons = metadata["reasons"]?.arrayValue { details["reasons"] = reasons.compactMap(\.stringValue).joined(separator: ", ") }
            if let flagged = metadata["flagged_input"]?.stringValue { details["flagged_input"] = String(flagged.prefix(200)) }
            if let provider = metadata["provider_name"]?.stringValue { details["provider"] = provider }
            if let raw = metadata["raw"]?.stringValue { details["raw"] = String(raw.prefix(300)) }
        }
        let code = error?["code"].flatMap { $0.stringValue ?? $0.intValue.map { String($0) } }
        let availability = error?["availability"]
        let retryable = availability?["retryable"]?.boolValue ?? false
        let serverWait = [retryAfter, availability?["retry_after"]?.doubleValue].compactMap { $0 }.max()

        let kind: TaskFailure.Kind
        switch status {
        case 401: kind = .unauthorized
        case 402: kind = .paymentRequired
        case _ where transientStatuses.contains(status): kind = .transient
        case _ where retryable: kind = .transient
        default: kind = .permanent
        }
        return TaskFailure(kind, cause: .api(code: code), status: status, message: message, retryAfter: serverWait, details: details)
    }

    /// `choices[].finish_reason == "error"` inside a 200.
    package static func failure(inChoiceError error: JSON?, status: Int) -> TaskFailure {
        let errorType = error?["metadata"]?["error_type"]?.stringValue ?? ""
        let message = error?["message"]?.stringValue ?? "the model finished with an error"
        let kind: TaskFailure.Kind = transientErrorTypes.contains(errorType) ? .transient : .permanent
        return TaskFailure(kind, cause: .api(code: errorType.isEmpty ? nil : errorType), status: status, message: message, details: errorType.isEmpty ? [:] : ["error_type": errorType])
    }
}
