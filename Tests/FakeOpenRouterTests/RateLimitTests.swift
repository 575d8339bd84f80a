import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// 429s with their scope (behaviour 5): OpenRouter's own (the key's) with `X-RateLimit-*`
/// in epoch milliseconds, an upstream provider's without them, the fake's own per-key
/// requests-per-minute budget, and a daily limit whose reset is hours away.
@Suite("429: key-level, upstream, requests per minute, daily")
struct RateLimitTests {
    private func epochMilliseconds() -> Double { Date().timeIntervalSince1970 * 1000 }

    /// The X-RateLimit headers equal `error.metadata.headers`; returns the reset (epoch ms).
    private func checkKeyLevel(_ result: HTTPResult, limit: String) throws -> Double {
        #expect(result.status == 429)
        let error = try #require(errorObject(result))
        #expect(error["code"] as? Int == 429)
        let metadata = try #require(error["metadata"] as? [String: Any])
        let headers = try #require(metadata["headers"] as? [String: String])
        #expect(metadata["provider_name"] is NSNull)
        for name in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"] {
            #expect(result.header(name) != nil, "\(name) missing")
            #expect(result.header(name) == headers[name], "\(name): header and metadata differ")
        }
        #expect(result.header("X-RateLimit-Limit") == limit)
        #expect(result.header("X-RateLimit-Remaining") == "0")
        return try #require(result.header("X-RateLimit-Reset").flatMap(Double.init))
    }

    @Test("Key-level 429 (kind 429, alias 429key): X-RateLimit-* in epoch ms, also in error.metadata.headers")
    func keyLevel() throws {
        #expect(FaultKind(cliName: "429key") == .rateLimited)
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.rateLimited], retryAfterSeconds: 3) }
        defer { server.stop() }
        let before = epochMilliseconds()
        let result = try post(server, "/chat/completions", chatBody())
        let reset = try checkKeyLevel(result, limit: "6000")
        // Milliseconds since the epoch, about Retry-After from now (not seconds, not a delta).
        #expect(reset >= before + 2_900 && reset <= epochMilliseconds() + 3_100, "reset \(reset)")
        #expect(result.header("Retry-After") == "3")
    }

    @Test("Upstream 429 (kind 429upstream): 'Provider returned error', provider_name, raw, Retry-After, no X-RateLimit")
    func upstream() throws {
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.upstreamRateLimited], retryAfterSeconds: 2) }
        defer { server.stop() }
        let result = try post(server, "/chat/completions", chatBody(model: "black-forest-labs/flux.2-pro", modalities: ["image"]))
        #expect(result.status == 429)
        #expect(result.header("Retry-After") == "2")
        for name in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"] {
            #expect(result.header(name) == nil, "\(name) on an upstream 429")
        }
        let error = try #require(errorObject(result))
        #expect(error["code"] as? Int == 429)
        #expect(error["message"] as? String == "Provider returned error")
        let metadata = try #require(error["metadata"] as? [String: Any])
        #expect(metadata["provider_name"] as? String == "Black Forest Labs")
        #expect((metadata["raw"] as? String)?.contains("black-forest-labs/flux.2-pro is temporarily rate-limited upstream") == true)
        #expect(metadata["headers"] == nil)
        // Directive form, on speech.
        let plain = try startServer()
        defer { plain.stop() }
        let speech = try post(
            plain, "/audio/speech",
            json(["model": "hexgrad/kokoro-82m", "input": "Hi #fake:fault=429upstream #fake:fault-attempts=1", "voice": "af_alloy"]))
        #expect(speech.status == 429)
        #expect(speech.header("X-RateLimit-Reset") == nil)
        let again = try post(
            plain, "/audio/speech",
            json(["model": "hexgrad/kokoro-82m", "input": "Hi #fake:fault=429upstream #fake:fault-attempts=1", "voice": "af_alloy"]))
        #expect(again.status == 200)
    }

    @Test("requestsPerMinute: past the key's budget, a key-level 429 whose reset is when a slot frees")
    func requestsPerMinute() throws {
        let window = 1.5
        let server = try startServer { $0.faults = FaultPlan(requestsPerMinute: 2, rateLimitWindowSeconds: window) }
        defer { server.stop() }
        let started = epochMilliseconds()
        #expect(try post(server, "/chat/completions", chatBody(prompt: "a")).status == 200)
        #expect(try post(server, "/chat/completions", chatBody(prompt: "b")).status == 200)
        let limited = try post(server, "/chat/completions", chatBody(prompt: "c"))
        let reset = try checkKeyLevel(limited, limit: "2")
        // The first request's slot frees `window` after it arrived.
        #expect(reset >= started + window * 1000 - 50 && reset <= epochMilliseconds() + window * 1000 + 50, "reset \(reset)")
        let retryAfter = try #require(limited.header("Retry-After").flatMap(Double.init))
        #expect(retryAfter > 0 && retryAfter <= window)
        #expect((errorObject(limited)?["message"] as? String)?.hasPrefix("Rate limit exceeded") == true)
        // Another key has its own budget.
        #expect(try post(server, "/chat/completions", chatBody(prompt: "d"), key: "other-key").status == 200)
        // Waiting until the reset frees a slot.
        let wait = max(reset - epochMilliseconds(), 0) / 1000 + 0.05
        Thread.sleep(forTimeInterval: wait)
        #expect(try post(server, "/chat/completions", chatBody(prompt: "c")).status == 200)
        // GETs do not count.
        #expect(try get(server, "/key").status == 200)
    }

    @Test("Daily limit (kind 429daily): key-level 429 whose reset is the next UTC midnight, no Retry-After")
    func daily() throws {
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.dailyRateLimited], maxFaultedAttempts: 1) }
        defer { server.stop() }
        let now = epochMilliseconds()
        let result = try post(server, "/chat/completions", chatBody())
        let reset = try checkKeyLevel(result, limit: "50")
        #expect(result.header("Retry-After") == nil)
        #expect(reset > now && reset <= now + 86_400_000)
        #expect(reset.truncatingRemainder(dividingBy: 86_400_000) == 0)
        #expect((errorObject(result)?["message"] as? String)?.contains("free-models-per-day") == true)
    }
}
