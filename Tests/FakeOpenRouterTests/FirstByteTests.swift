import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// Slow first bytes (behaviour 8): `/images` and `/audio/speech` send nothing, not even
/// headers, until the answer; chat can send its headers at once and newline keep-alives
/// while it waits, so the body begins with whitespace.
@Suite("Slow first bytes and chat keep-alives")
struct FirstByteTests {
    @Test("mediaFirstByteSeconds: /images and speech send nothing before S seconds; chat is not delayed")
    func mediaSilence() throws {
        let silence = 0.6
        let server = try startServer { $0.mediaFirstByteSeconds = silence }
        defer { server.stop() }
        for (path, body) in [
            ("/api/v1/images", json(["model": "google/gemini-2.5-flash-image", "prompt": "kite"])),
            ("/api/v1/audio/speech", json(["model": "hexgrad/kokoro-82m", "input": "Hi.", "voice": "af_alloy"])),
        ] {
            let connection = try RawHTTPConnection(port: server.port)
            let started = monotonicNow()
            connection.send("POST", path, body: Array(body.utf8))
            let firstByte = try #require(connection.secondsToFirstByte(since: started), "\(path): no answer")
            #expect(firstByte >= silence - 0.02, "\(path): first byte after \(firstByte) s")
            let result = try connection.readResponse()
            #expect(result.status == 200)
            #expect(result.header("X-Generation-Id") != nil)
        }
        // Chat is not concerned (its wait is the latency, with keep-alives if configured).
        #expect(try post(server, "/chat/completions", chatBody()).status == 200)
        #expect(server.stats().billedGenerations == 3)
    }

    @Test("#fake:first-byte=S adds silence per request; speechFirstByteSecondsPerCharacter scales with input")
    func directiveAndPerCharacter() throws {
        let server = try startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        let started = monotonicNow()
        let body = json(["model": "hexgrad/kokoro-82m", "input": "Slow one. #fake:first-byte=0.5", "voice": "af_alloy"])
        connection.send("POST", "/api/v1/audio/speech", body: Array(body.utf8))
        let firstByte = try #require(connection.secondsToFirstByte(since: started))
        #expect(firstByte >= 0.48)
        #expect(try connection.readResponse().status == 200)

        let scaled = try startServer { $0.speechFirstByteSecondsPerCharacter = 0.01 }
        defer { scaled.stop() }
        let input = String(repeating: "a", count: 50)  // 0.5 s
        let slow = try RawHTTPConnection(port: scaled.port)
        let begun = monotonicNow()
        slow.send("POST", "/api/v1/audio/speech", body: Array(json(["model": "hexgrad/kokoro-82m", "input": input, "voice": "af_alloy"]).utf8))
        #expect(try #require(slow.secondsToFirstByte(since: begun)) >= 0.48)
        #expect(try slow.readResponse().status == 200)
    }

    @Test("chatKeepAliveSeconds: headers at once, newlines while waiting, then the JSON (chunked)")
    func chatKeepAlives() throws {
        let server = try startServer {
            $0.latency = 0.8
            $0.chatKeepAliveSeconds = 0.2
        }
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
        let result = try connection.readResponse()
        #expect(result.status == 200)
        #expect(result.header("Transfer-Encoding")?.lowercased() == "chunked")
        #expect(result.header("Content-Length") == nil)
        let id = try #require(result.header("X-Generation-Id"))
        let leading = result.body.prefix { $0 == UInt8(ascii: "\n") }.count
        #expect(leading >= 1, "the body should begin with newlines")
        #expect(result.body.count > leading && result.body[leading] == UInt8(ascii: "{"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.body.dropFirst(leading))) as? [String: Any])
        #expect(object["id"] as? String == id)
        // JSON parsers skip leading whitespace: the whole body parses as it is.
        #expect(result.json()?["id"] as? String == id)
        // The connection stays usable (keep-alive) after a chunked answer.
        connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody(prompt: "again").utf8))
        #expect(try connection.readResponse().status == 200)

        // Errors are not streamed: a 429 keeps its Content-Length.
        let limited = try startServer {
            $0.chatKeepAliveSeconds = 0.1
            $0.faults = FaultPlan(rate: 1, kinds: [.rateLimited], retryAfterSeconds: 0)
        }
        defer { limited.stop() }
        let error = try post(limited, "/chat/completions", chatBody())
        #expect(error.status == 429)
        #expect(error.header("Content-Length") != nil)
    }

    @Test("With keep-alives, the headers arrive before the latency; a reset still bills the chat generation")
    func keepAliveHeadersEarly() throws {
        let server = try startServer {
            $0.latency = 30
            $0.chatKeepAliveSeconds = 0.1
        }
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
        let head = try connection.readHead()  // long before the 30 s latency
        #expect(head.status == 200)
        #expect(head.header("X-Generation-Id") != nil)
        // The generation is billed at once, whatever becomes of the transfer.
        #expect(server.stats().billedGenerations == 1)

        let reset = try startServer {
            $0.chatKeepAliveSeconds = 0.05
            $0.latency = 0.2
            $0.faults = FaultPlan(rate: 1, kinds: [.resetMidBody], maxFaultedAttempts: 1)
        }
        defer { reset.stop() }
        let cut = try RawHTTPConnection(port: reset.port)
        cut.send("POST", "/api/v1/chat/completions", body: Array(chatBody().utf8))
        let cutHead = try cut.readHead()
        let cutID = try #require(cutHead.header("X-Generation-Id"))
        #expect(throws: RawHTTPError.self) { try cut.readChunkedBody() }
        #expect(try generationData(reset, cutID)["total_cost"] as? Double == 0.039)
    }
}
