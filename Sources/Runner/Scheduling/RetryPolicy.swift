import Tasks

/// Exponential backoff with capped full jitter that never undercuts what the server asked
/// for: the one retry layer of mediabatch.
public struct RetryPolicy: Sendable {
    public var baseDelay: Double
    public var maxDelay: Double

    public init(baseDelay: Double, maxDelay: Double) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before attempt `attempt + 1`, after `failure` on attempt `attempt`.
    public func delay(after attempt: Int, failure: TaskFailure) -> Double {
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(max(attempt - 1, 0), 30)))
        let jittered = Double.random(in: 0...max(ceiling, 0))
        return max(jittered, failure.retryAfter ?? 0)
    }
}
