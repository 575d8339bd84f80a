import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// The three meanings of 402 (behaviour 3) and the key's spend cap, 403 (behaviour 4).
@Suite("402 variants and the key's limit (403)")
struct PaymentTests {
    @Test("inFlightBudget: beyond K generations in flight, 402 in_flight_budget_exhausted with Retry-After")
    func inFlightBudget() throws {
        let server = try startServer { $0.faults = FaultPlan(retryAfterSeconds: 2, inFlightBudget: 1) }
        defer { server.stop() }
        // The first request is held in flight (30 s before its first byte); the second arrives meanwhile.
        do {
            let first = try RawHTTPConnection(port: server.port)
            first.send("POST", "/api/v1/chat/completions", body: Array(chatBody(prompt: "first #fake:first-byte=30").utf8))
            #expect(waitFor(timeout: hangDeadline) { server.stats().inFlight == 1 })
            let second = try post(server, "/chat/completions", chatBody(prompt: "second"))
            #expect(second.status == 402)
            #expect(second.header("Retry-After") == "2")
            let error = try #require(errorObject(second))
            #expect(error["code"] as? Int == 402)
            #expect(
                error["message"] as? String
                    == "This request would exceed your available credits given your current in-flight requests. Retry after in-flight requests settle."
            )
            #expect((error["metadata"] as? [String: Any])?["reason"] as? String == "in_flight_budget_exhausted")
            withExtendedLifetime(first) {}
        }  // the first client gives up here
        #expect(waitFor(timeout: hangDeadline) { server.stats().inFlight == 0 })
        // Once the first has settled, the budget has room again.
        #expect(try post(server, "/chat/completions", chatBody(prompt: "second")).status == 200)
        // The abandoned chat generation is billed all the same.
        #expect(waitFor(timeout: hangDeadline) { server.stats().billedGenerations == 2 })
    }

    @Test("402 'can only afford N' for one request: fault kind and directive; no Retry-After")
    func canOnlyAfford() throws {
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.paymentCanOnlyAfford], maxFaultedAttempts: 1) }
        defer { server.stop() }
        var body = try #require(try JSONSerialization.jsonObject(with: Data(chatBody().utf8)) as? [String: Any])
        body["max_tokens"] = 4096
        let refused = try post(server, "/chat/completions", json(body))
        #expect(refused.status == 402)
        #expect(refused.header("Retry-After") == nil)
        let message = try #require(errorObject(refused)?["message"] as? String)
        #expect(message.hasPrefix("This request requires more credits, or fewer max_tokens."))
        #expect(message.contains("You requested up to 4096 tokens, but can only afford 1365."))
        #expect(errorObject(refused)?["code"] as? Int == 402)
        // The next attempt of the same request is not faulted.
        #expect(try post(server, "/chat/completions", json(body)).status == 200)

        let plain = try startServer()
        defer { plain.stop() }
        let directed = try post(plain, "/chat/completions", chatBody(prompt: "fox #fake:fault=402afford"))
        #expect(directed.status == 402)
        #expect((errorObject(directed)?["message"] as? String)?.contains("can only afford") == true)
        let speech = try post(
            plain, "/audio/speech", json(["model": "hexgrad/kokoro-82m", "input": "Hi #fake:fault=402afford", "voice": "af_alloy"]))
        #expect(speech.status == 402)
    }

    @Test("Plain 402 (paymentRequiredAfter, kind 402): out of credits, no Retry-After, no reason")
    func plain402() throws {
        let server = try startServer { $0.faults = FaultPlan(paymentRequiredAfter: 1) }
        defer { server.stop() }
        #expect(try post(server, "/chat/completions", chatBody(prompt: "a")).status == 200)
        let refused = try post(server, "/chat/completions", chatBody(prompt: "b"))
        #expect(refused.status == 402)
        #expect(refused.header("Retry-After") == nil)
        #expect(errorObject(refused)?["metadata"] == nil)
        #expect(errorObject(refused)?["message"] as? String == "Insufficient credits. Add more using https://openrouter.ai/credits")

        let kind = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.paymentRequired]) }
        defer { kind.stop() }
        let faulted = try post(kind, "/images", json(["model": "google/gemini-2.5-flash-image", "prompt": "x"]))
        #expect(faulted.status == 402)
        #expect(faulted.header("Retry-After") == nil)
        #expect(FaultKind(cliName: "402") == .paymentRequired)
        #expect(FaultKind(cliName: "402inflight") == .paymentInFlight)
        #expect(FaultKind(cliName: "402afford") == .paymentCanOnlyAfford)
        let inflight = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.paymentInFlight], retryAfterSeconds: 0.25) }
        defer { inflight.stop() }
        let transient = try post(inflight, "/chat/completions", chatBody())
        #expect(transient.status == 402)
        #expect(transient.header("Retry-After") == "0.25")
        #expect((errorObject(transient)?["metadata"] as? [String: Any])?["reason"] as? String == "in_flight_budget_exhausted")
    }

    @Test("keyLimitAfterGenerations: 403 'Key limit exceeded (daily limit)' on every generation; /key shows it")
    func keyLimit() throws {
        let server = try startServer { $0.faults = FaultPlan(retryAfterSeconds: 5, keyLimitAfterGenerations: 2) }
        defer { server.stop() }
        let before = try #require(try get(server, "/key").json()?["data"] as? [String: Any])
        #expect(before["limit_reset"] as? String == "daily")
        #expect(before["limit"] as? Double == 100)
        #expect(before["limit_remaining"] as? Double == 100)
        let statuses = try (0..<2).map { try post(server, "/chat/completions", chatBody(prompt: "p\($0)")).status }
        #expect(statuses == [200, 200])
        let capped = try post(server, "/chat/completions", chatBody(prompt: "p2"))
        #expect(capped.status == 403)
        #expect(capped.header("Retry-After") == nil)
        let error = try #require(errorObject(capped))
        #expect(error["code"] as? Int == 403)
        #expect((error["message"] as? String)?.hasPrefix("Key limit exceeded (daily limit)") == true)
        #expect(try post(server, "/images", json(["model": "google/gemini-2.5-flash-image", "prompt": "x"])).status == 403)
        #expect(
            try post(server, "/audio/speech", json(["model": "hexgrad/kokoro-82m", "input": "Hi", "voice": "af_alloy"])).status
                == 403)
        #expect(try post(server, "/chat/completions", chatBody(prompt: "p0")).status == 403)
        let key = try #require(try get(server, "/key").json()?["data"] as? [String: Any])
        #expect(key["limit_remaining"] as? Double == 0)
        #expect(key["limit_reset"] as? String == "daily")
        #expect(key["limit"] as? Double == 0.078)
        #expect(key["usage"] as? Double == 0.078)
        #expect(server.stats().billedGenerations == 2)
        // Non-generation endpoints still answer.
        #expect(try get(server, "/models").status == 200)
    }
}
