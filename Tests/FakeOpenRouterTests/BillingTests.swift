import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// Behaviour 1 and 2 of "How the real service behaves where money is at stake": every
/// generation answer carries `X-Generation-Id`; a chat generation is billed in full even when
/// its transfer fails or its client leaves, `/images` only when delivered, speech when
/// answered; `/generation` can 404 for a while; the fake keeps its own billed total.
@Suite("Billing: generation ids, failed transfers, the fake's billed total")
struct BillingTests {
    private func speechBody(_ input: String = "Chapter one.") -> String {
        json(["model": "hexgrad/kokoro-82m", "input": input, "voice": "af_alloy", "response_format": "mp3"])
    }

    private func imagesBody(_ prompt: String = "A red kite") -> String {
        json(["model": "google/gemini-2.5-flash-image", "prompt": prompt])
    }

    @Test("Chat, /images and speech answers carry X-Generation-Id; /generation knows each id")
    func generationIDHeaders() throws {
        let server = try startServer()
        defer { server.stop() }
        let chat = try post(server, "/chat/completions", chatBody())
        let chatID = try #require(chat.header("X-Generation-Id"))
        #expect(chatID == chat.json()?["id"] as? String)
        let images = try post(server, "/images", imagesBody())
        let imagesID = try #require(images.header("X-Generation-Id"))
        let speech = try post(server, "/audio/speech", speechBody())
        let speechID = try #require(speech.header("X-Generation-Id"))
        #expect(Set([chatID, imagesID, speechID]).count == 3)
        for (id, cost) in [
            (chatID, usageCost(chat)), (imagesID, usageCost(images)), (speechID, nil as Double?),
        ] {
            let data = try generationData(server, id)
            #expect(data["id"] as? String == id)
            #expect((data["total_cost"] as? Double ?? 0) > 0)
            if let cost { #expect(data["total_cost"] as? Double == cost) }
            #expect(data["cancelled"] as? Bool == false)
        }
        let stats = server.stats()
        #expect(stats.billedGenerations == 3)
        let speechCost = try #require(generationData(server, speechID)["total_cost"] as? Double)
        #expect(abs(stats.billedCost - (usageCost(chat)! + usageCost(images)! + speechCost)) < 1e-9)
    }

    @Test("A chat generation whose transfer is reset or truncated is billed; /generation gives its cost")
    func chatCutTransfersAreBilled() throws {
        for kind in [FaultKind.resetMidBody, .truncatedBody] {
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], maxFaultedAttempts: 1) }
            defer { server.stop() }
            let connection = try RawHTTPConnection(port: server.port)
            connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
            let head = try connection.readHead()
            #expect(head.status == 200)
            let id = try #require(head.header("X-Generation-Id"), "\(kind): no X-Generation-Id before the body")
            #expect(throws: RawHTTPError.self) { try connection.readResponse() }
            let data = try generationData(server, id)
            #expect(data["total_cost"] as? Double == 0.039, "\(kind)")
            #expect(data["model"] as? String == "google/gemini-2.5-flash-image")
            #expect(data["cancelled"] as? Bool == false)
            #expect(server.stats().billedGenerations == 1)
            #expect(server.stats().billedCost == 0.039)
        }
    }

    @Test("A stalled chat generation and one whose client left before the answer are billed")
    func chatStallAndDisconnectAreBilled() throws {
        let stalled = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.stall], maxFaultedAttempts: 1, stallSeconds: 0.2) }
        defer { stalled.stop() }
        let connection = try RawHTTPConnection(port: stalled.port)
        connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
        #expect(throws: RawHTTPError.self) { try connection.readResponse() }
        #expect(stalled.stats().billedGenerations == 1)
        #expect(stalled.stats().billedCost == 0.039)

        // The client gives up during the latency: the chat generation is billed all the same.
        let slow = try startServer { $0.latency = 30 }
        defer { slow.stop() }
        do {
            let leaving = try RawHTTPConnection(port: slow.port)
            leaving.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
            #expect(waitFor(timeout: hangDeadline) { slow.stats().requests == 1 })
            withExtendedLifetime(leaving) {}
        }  // closed here
        #expect(waitFor(timeout: hangDeadline) { slow.stats().inFlight == 0 })
        // The answer was never sent; the generation is billed once the fake has made it.
        #expect(waitFor(timeout: hangDeadline) { slow.stats().billedGenerations == 1 })
        #expect(slow.stats().billedCost == 0.039)
        #expect(slow.stats().cancelledGenerations == 0)
    }

    @Test("/images cancelled before the reply, reset or truncated is not billed; /generation says cancelled")
    func imagesNotBilledUnlessDelivered() throws {
        let slow = try startServer { $0.latency = 30 }
        defer { slow.stop() }
        do {
            let leaving = try RawHTTPConnection(port: slow.port)
            leaving.send("POST", "/api/v1/images", body: Array(imagesBody().utf8))
            #expect(waitFor(timeout: hangDeadline) { slow.stats().requests == 1 })
            withExtendedLifetime(leaving) {}
        }
        #expect(waitFor(timeout: hangDeadline) { slow.stats().cancelledGenerations == 1 })
        #expect(slow.stats().billedGenerations == 0)
        #expect(slow.stats().billedCost == 0)
        let key = try #require(try get(slow, "/key").json()?["data"] as? [String: Any])
        #expect(key["usage"] as? Double == 0)

        for kind in [FaultKind.resetMidBody, .truncatedBody] {
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], maxFaultedAttempts: 1) }
            defer { server.stop() }
            let connection = try RawHTTPConnection(port: server.port)
            connection.send("POST", "/api/v1/images", body: Array(imagesBody().utf8))
            let head = try connection.readHead()
            let id = try #require(head.header("X-Generation-Id"))
            #expect(throws: RawHTTPError.self) { try connection.readResponse() }
            let data = try generationData(server, id)
            #expect(data["total_cost"] as? Double == 0, "\(kind)")
            #expect(data["cancelled"] as? Bool == true)
            #expect(server.stats().billedGenerations == 0)
            #expect(server.stats().cancelledGenerations == 1)
            // The retry is delivered and billed.
            let retry = try post(server, "/images", imagesBody())
            #expect(retry.status == 200)
            #expect(server.stats().billedGenerations == 1)
            #expect(server.stats().billedCost == usageCost(retry))
        }
    }

    @Test("A malformed 200 is billed like the answer it cuts (chat and /images)")
    func malformedIsBilled() throws {
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.malformedJSON], maxFaultedAttempts: 1) }
        defer { server.stop() }
        let chat = try post(server, "/chat/completions", chatBody())
        #expect(chat.status == 200 && chat.json() == nil)
        let chatID = try #require(chat.header("X-Generation-Id"))
        #expect(try generationData(server, chatID)["total_cost"] as? Double == 0.039)
        let images = try post(server, "/images", imagesBody())
        #expect(images.status == 200 && images.json() == nil)
        let imagesID = try #require(images.header("X-Generation-Id"))
        #expect(try generationData(server, imagesID)["total_cost"] as? Double == 0.039)
        #expect(server.stats().billedGenerations == 2)
        #expect(server.stats().billedCost == 0.078)
    }

    @Test("Speech is billed when answered: a client gone before the answer is not billed")
    func speechBilledWhenAnswered() throws {
        let slow = try startServer { $0.mediaFirstByteSeconds = 30 }
        defer { slow.stop() }
        do {
            let leaving = try RawHTTPConnection(port: slow.port)
            leaving.send("POST", "/api/v1/audio/speech", body: Array(speechBody().utf8))
            #expect(waitFor(timeout: hangDeadline) { slow.stats().requests == 1 })
            withExtendedLifetime(leaving) {}
        }
        #expect(waitFor(timeout: hangDeadline) { slow.stats().cancelledGenerations == 1 })
        #expect(slow.stats().billedGenerations == 0)

        // Answered, then reset mid-body: billed.
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.resetMidBody], maxFaultedAttempts: 1) }
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        connection.send("POST", "/api/v1/audio/speech", body: Array(speechBody().utf8))
        let head = try connection.readHead()
        let id = try #require(head.header("X-Generation-Id"))
        #expect(throws: RawHTTPError.self) { try connection.readResponse() }
        let data = try generationData(server, id)
        #expect((data["total_cost"] as? Double ?? 0) > 0)
        #expect(server.stats().billedGenerations == 1)
    }

    @Test("generationDelaySeconds: /generation answers 404 for that long after the generation ends")
    func generationDelay() throws {
        // Long enough that the early question always lands inside it, even on a loaded machine.
        let delay = 3.0
        let server = try startServer { $0.generationDelaySeconds = delay }
        defer { server.stop() }
        let chat = try post(server, "/chat/completions", chatBody())
        let answeredAt = monotonicNow()
        let id = try #require(chat.header("X-Generation-Id"))
        let early = try get(server, "/generation?id=\(id)")
        #expect(monotonicNow() - answeredAt < delay, "the early question came too late to tell")
        #expect(early.status == 404)
        #expect((early.json()?["error"] as? [String: Any])?["code"] as? Int == 404)
        Thread.sleep(forTimeInterval: delay + 0.1)
        let late = try get(server, "/generation?id=\(id)")
        #expect(late.status == 200)
        #expect((late.json()?["data"] as? [String: Any])?["total_cost"] as? Double == 0.039)
        // The billed total does not wait.
        #expect(server.stats().billedCost == 0.039)
    }

    @Test("GET /__fake/stats reports billedCost, billedGenerations and cancelledGenerations")
    func statsJSON() throws {
        let server = try startServer()
        defer { server.stop() }
        let first = try post(server, "/chat/completions", chatBody(prompt: "one #fake:images=2"))
        let refusal = try post(server, "/chat/completions", chatBody(prompt: "two #fake:refuse=content_filter"))
        let noImage = try post(server, "/chat/completions", chatBody(prompt: "three #fake:no-image"))
        let failed = try post(server, "/chat/completions", chatBody(prompt: "four #fake:fault=error200"))
        #expect(failed.status == 200)
        let expected = [first, refusal, noImage].compactMap(usageCost).reduce(0, +)
        #expect((usageCost(refusal) ?? 0) > 0 && (usageCost(noImage) ?? 0) > 0)
        #expect(usageCost(failed) == 0)
        let stats = try #require(try send(server, "GET", "/__fake/stats").json())
        #expect(stats["billedGenerations"] as? Int == 3)
        #expect(abs((stats["billedCost"] as? Double ?? -1) - expected) < 1e-9)
        #expect(stats["cancelledGenerations"] as? Int == 0)
        #expect(server.stats().billedGenerations == 3)
        let key = try #require(try get(server, "/key").json()?["data"] as? [String: Any])
        #expect(abs((key["usage"] as? Double ?? -1) - expected) < 1e-9)
    }
}

/// `usage.cost` of a JSON answer.
func usageCost(_ result: HTTPResult) -> Double? {
    (result.json()?["usage"] as? [String: Any])?["cost"] as? Double
}

/// `data` of `GET /generation?id=`, which must answer 200.
func generationData(_ server: FakeOpenRouterServer, _ id: String) throws -> [String: Any] {
    let result = try get(server, "/generation?id=\(id)")
    #expect(result.status == 200, "/generation?id=\(id): \(result.text.prefix(200))")
    return try #require(result.json()?["data"] as? [String: Any])
}

/// `error` of an error answer.
func errorObject(_ result: HTTPResult) -> [String: Any]? {
    result.json()?["error"] as? [String: Any]
}
