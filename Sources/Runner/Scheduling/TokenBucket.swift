/// A request-rate cap: `perMinute` tokens, refilled continuously, at most one in the bucket,
/// so requests are paced evenly and no minute ever sees more than `perMinute` (+1).
package struct TokenBucket {
    package let perSecond: Double
    package let capacity: Double
    private var tokens: Double
    private var updated: Double?

    package init(perMinute: Int) {
        perSecond = Double(perMinute) / 60
        capacity = 1
        tokens = capacity
    }

    /// Seconds until a token is available (0: now).
    package mutating func wait(at now: Double) -> Double {
        refill(at: now)
        return tokens >= 1 ? 0 : (1 - tokens) / perSecond
    }

    package mutating func take(at now: Double) {
        refill(at: now)
        tokens -= 1
    }

    private mutating func refill(at now: Double) {
        if let updated { tokens = min(capacity, tokens + (now - updated) * perSecond) }
        updated = now
    }
}
