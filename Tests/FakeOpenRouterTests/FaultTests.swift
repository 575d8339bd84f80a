import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("Fault plan")
struct FaultTests {
    private func statuses(seed: UInt64, prompts: Int) throws -> [Int] {
        let server = try startServer {
            $0.faults = FaultPlan(
                rate: 0.5, kinds: [.rateLimited, .serverError, .badGateway, .unavailable, .timeoutEdge, .overloaded],
                seed: seed, maxFaultedAttempts: 3, retryAfterSeconds: 0)
        }
        defer { server.stop() }
        return try (0..<24).map { try post(server, "/chat/completions", chatBody(prompt: "task \($0 % prompts)")).status }
    }

    @Test("The same seed injects the same faults; another seed differs")
    func reproducible() throws {
        let first = try statuses(seed: 42, prompts: 24)
        let second = try statuses(seed: 42, prompts: 24)
        let other = try statuses(seed: 7, prompts: 24)
        #expect(first == second)
        #expect(first != other)
        #expect(first.contains(200) && first.contains { $0 >= 429 })
        #expect(Set(first).isSubset(of: [200, 429, 500, 502, 503, 524, 529]))
    }

    @Test("Faults only hit the first maxFaultedAttempts attempts of a request")
    func boundedAttempts() throws {
        let server = try startServer {
            $0.faults = FaultPlan(rate: 1, kinds: [.serverError, .badGateway], seed: 1, maxFaultedAttempts: 2)
        }
        defer { server.stop() }
        for task in 0..<5 {
            let body = chatBody(prompt: "bounded \(task)")
            #expect(try post(server, "/chat/completions", body).status >= 500)
            #expect(try post(server, "/chat/completions", body).status >= 500)
            #expect(try post(server, "/chat/completions", body).status == 200)
        }
        #expect(server.stats().faultsInjected == 10)
    }

    @Test("A retry before Retry-After counts as early; a patient one does not")
    func earlyRetries() throws {
        // A Retry-After no test outlasts: the immediate retry is early however slow the machine.
        let server = try startServer {
            $0.faults = FaultPlan(rate: 1, kinds: [.rateLimited], seed: 3, maxFaultedAttempts: 1, retryAfterSeconds: 3600)
        }
        defer { server.stop() }
        let hasty = chatBody(prompt: "hasty")
        let limited = try post(server, "/chat/completions", hasty)
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "3600")
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        #expect((limited.json()?["error"] as? [String: Any])?["code"] as? Int == 429)
        #expect(try post(server, "/chat/completions", hasty).status == 200)
        #expect(server.stats().earlyRetries == 1)

        // A retry after sleeping past the Retry-After is on time however slow the machine.
        let patientServer = try startServer {
            $0.faults = FaultPlan(rate: 1, kinds: [.rateLimited], seed: 3, maxFaultedAttempts: 1, retryAfterSeconds: 0.5)
        }
        defer { patientServer.stop() }
        let patient = chatBody(prompt: "patient")
        let first = try post(patientServer, "/chat/completions", patient)
        #expect(first.status == 429)
        #expect(first.header("Retry-After") == "0.5")
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try post(patientServer, "/chat/completions", patient).status == 200)
        #expect(patientServer.stats().earlyRetries == 0)
    }

    @Test("503 carries Retry-After; 524 and 529 use OpenRouter's error body")
    func statusFaults() throws {
        for (kind, status) in [(FaultKind.unavailable, 503), (.timeoutEdge, 524), (.overloaded, 529)] {
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], retryAfterSeconds: 2) }
            defer { server.stop() }
            let result = try post(server, "/chat/completions", chatBody())
            #expect(result.status == status)
            #expect((result.json()?["error"] as? [String: Any])?["code"] as? Int == status)
            if status == 503 { #expect(result.header("Retry-After") == "2") }
        }
    }

    @Test("Truncated body and reset mid-body cut the response short")
    func cutBodies() throws {
        for kind in [FaultKind.truncatedBody, .resetMidBody] {
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], maxFaultedAttempts: 1) }
            defer { server.stop() }
            let connection = try RawHTTPConnection(port: server.port)
            connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
            let error = #expect(throws: RawHTTPError.self) { try connection.readResponse() }
            if case .timedOut = error { Issue.record("\(kind): the fake went silent instead of cutting the body") }
            // The retry (attempt 2) succeeds on a new connection.
            #expect(try post(server, "/chat/completions", chatBody()).status == 200)
            #expect(server.stats().inFlight == 0)
        }
    }

    @Test("A stall never answers and closes after stallSeconds")
    func stall() throws {
        let stallSeconds = 0.4
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.stall], stallSeconds: stallSeconds) }
        defer { server.stop() }
        // The socket timeout is hangDeadline: the read ends because the fake closed, which the
        // error tells apart from the client giving up.
        let connection = try RawHTTPConnection(port: server.port)
        let started = monotonicNow()
        connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
        let error = #expect(throws: RawHTTPError.self) { try connection.readResponse() }
        let waited = monotonicNow() - started
        if case .closed(let received) = error {
            #expect(received == 0, "a stall sends nothing, got \(received) bytes")
        } else {
            Issue.record("the stalled connection was not closed by the fake: \(String(describing: error))")
        }
        #expect(waited >= stallSeconds - 0.05, "closed after \(waited) s, before the stall's \(stallSeconds) s")
        #expect(server.stats().inFlight == 0)
    }

    @Test("200-shaped faults: malformed JSON, error inside 200, no images")
    func twoHundredFaults() throws {
        let malformed = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.malformedJSON]) }
        defer { malformed.stop() }
        let broken = try post(malformed, "/chat/completions", chatBody())
        #expect(broken.status == 200)
        #expect(broken.json() == nil)

        let errorIn200 = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.errorIn200]) }
        defer { errorIn200.stop() }
        let failed = try post(errorIn200, "/chat/completions", chatBody())
        #expect(failed.status == 200)
        let choice = try #require(firstChoice(failed))
        #expect(choice["finish_reason"] as? String == "error")
        let error = try #require(choice["error"] as? [String: Any])
        #expect(error["code"] as? Int == 502)
        #expect((error["metadata"] as? [String: Any])?["error_type"] as? String == "provider_overloaded")

        let noImages = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.noImages]) }
        defer { noImages.stop() }
        let empty = try post(noImages, "/chat/completions", chatBody())
        #expect(empty.status == 200)
        #expect(chatImages(empty).isEmpty)
        // Speech cannot express a 200-shaped JSON fault: it is answered normally.
        let speech = try post(noImages, "/audio/speech", json(["model": "hexgrad/kokoro-82m", "input": "hi", "voice": "af_alloy"]))
        #expect(speech.status == 200)
    }

    @Test("402 after K generation requests; 401 after K requests")
    func creditAndKeyLimits() throws {
        let payment = try startServer { $0.faults = FaultPlan(paymentRequiredAfter: 2) }
        defer { payment.stop() }
        let paid = try (0..<4).map { try post(payment, "/chat/completions", chatBody(prompt: "p\($0)")).status }
        #expect(paid == [200, 200, 402, 402])
        let remaining = (try get(payment, "/key").json()?["data"] as? [String: Any])?["limit_remaining"] as? Double
        #expect(remaining == 0)

        let revoked = try startServer { $0.faults = FaultPlan(unauthorizedAfter: 1) }
        defer { revoked.stop() }
        #expect(try post(revoked, "/chat/completions", chatBody()).status == 200)
        #expect(try post(revoked, "/chat/completions", chatBody(prompt: "next")).status == 401)
        #expect(try get(revoked, "/models").status == 401)
    }
}
