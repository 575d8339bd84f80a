import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("Server behaviour: auth, keep-alive, latency, recording, bookkeeping endpoints")
struct ServerTests {
    @Test("401 without a key, with an empty key, or with a key not accepted")
    func authentication() throws {
        let server = try startServer { $0.acceptedKeys = ["sk-good"] }
        defer { server.stop() }
        for key in [nil, "", "sk-bad"] as [String?] {
            let result = try post(server, "/chat/completions", chatBody(), key: key)
            #expect(result.status == 401)
            #expect(result.header("Content-Type") == "application/json")
            let error = try #require(result.json()?["error"] as? [String: Any])
            #expect(error["code"] as? Int == 401)
            #expect(error["message"] as? String == "No auth credentials found")
        }
        #expect(try post(server, "/chat/completions", chatBody(), key: "sk-good").status == 200)
        #expect(try get(server, "/models", key: nil).status == 401)
        // The stats endpoint needs no key.
        #expect(try send(server, "GET", "/__fake/stats", key: nil).status == 200)
    }

    @Test("Keep-alive: several requests on one connection count one connection")
    func keepAlive() throws {
        let server = try startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        for index in 0..<4 {
            connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody(prompt: "keep \(index)").utf8))
            #expect(try connection.readResponse().status == 200)
        }
        connection.send("GET", "/api/v1/models?output_modalities=all")
        #expect(try connection.readResponse().status == 200)
        let stats = server.stats()
        #expect(stats.connectionsAccepted == 1)
        #expect(stats.requests == 5)
        #expect(stats.byPath["/chat/completions"] == 4)
        #expect(stats.inFlight == 0)
    }

    @Test("Paths work with and without /api/v1; /__fake/stats returns the stats as JSON")
    func pathsAndStatsEndpoint() throws {
        let server = try startServer()
        defer { server.stop() }
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)/api/v1")
        #expect(try send(server, "POST", "/chat/completions", body: chatBody()).status == 200)
        #expect(try send(server, "GET", "/api/v1/key").status == 200)
        #expect(try send(server, "GET", "/api/v1/nothing-here").status == 404)
        #expect(try send(server, "GET", "/api/v1/chat/completions").status == 405)
        let stats = try send(server, "GET", "/__fake/stats", key: nil)
        let object = try #require(stats.json())
        #expect(object["requests"] as? Int == 4)
        #expect((object["byPath"] as? [String: Int])?["/chat/completions"] == 2)
        for key in ["connectionsAccepted", "maxInFlight", "inFlight", "earlyRetries", "faultsInjected"] {
            #expect(object[key] is Int, "\(key)")
        }
    }

    @Test("Latency delays every answer; maxInFlight sees concurrent requests")
    func latencyAndConcurrency() throws {
        // Bench-mode images are precomputed, so the answers cost no encoding time.
        let latency = 2.0
        let server = try startServer {
            $0.latency = latency
            $0.imageBytes = 5_000
        }
        defer { server.stop() }
        let started = monotonicNow()
        // Six connections send at once, then the answers are read: they overlap on the server.
        let connections = try (0..<6).map { _ in try RawHTTPConnection(port: server.port) }
        for (index, connection) in connections.enumerated() {
            connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody(prompt: "c\(index)").utf8))
        }
        for connection in connections { #expect(try connection.readResponse().status == 200) }
        let elapsed = monotonicNow() - started
        #expect(elapsed >= latency)
        // Served one after another, the six would take at least six latencies; so long a
        // bound leaves a loaded machine seconds of slack and still tells the two apart.
        #expect(elapsed < 6 * latency, "latency is scheduled, not serialized: \(elapsed) s")
        let stats = server.stats()
        #expect(stats.maxInFlight == 6)
        #expect(stats.inFlight == 0)
        #expect(stats.connectionsAccepted == 6)
    }

    @Test("Requests are recorded with headers and JSON; reset clears them")
    func recording() throws {
        let server = try startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        connection.send("POST", "/api/v1/chat/completions?trace=1", body: Array(chatBody(prompt: "recorded").utf8), headers: [("X-Title", "tests")])
        _ = try connection.readResponse()
        let recorded = try #require(server.requests().first)
        #expect(recorded.method == "POST")
        #expect(recorded.path == "/chat/completions")
        #expect(recorded.query == "trace=1")
        #expect(recorded.header("x-title") == "tests")
        #expect(recorded.header("AUTHORIZATION") == "Bearer test-key")
        #expect(recorded.json()?["model"] as? String == "google/gemini-2.5-flash-image")
        #expect(recorded.receivedAt > 0)
        server.reset()
        #expect(server.requests().isEmpty)
        #expect(server.stats().requests == 0)
        #expect(server.stats().connectionsAccepted == 0)
    }

    @Test("A 5 MiB reference image is accepted at once: Expect: 100-continue is answered")
    func largeBodyWithCurl() throws {
        let server = try startServer()
        defer { server.stop() }
        let reference = "data:image/png;base64," + String(repeating: "A", count: 5 << 20)
        let parts: [[String: Any]] = [["type": "text", "text": "edit"], ["type": "image_url", "image_url": ["url": reference]]]
        let file = try temporaryFile(Array(chatBody(content: parts).utf8), suffix: ".json")
        defer { try? FileManager.default.removeItem(at: file) }
        // curl sends a body this large only after a 100 Continue, or after giving up waiting
        // for one (the timeout, long enough that no loaded machine reaches it): its trace
        // shows which happened.
        let result = try run("/usr/bin/curl", [
            "-sS", "-v", "-o", "/dev/null", "-w", "%{http_code}", "--expect100-timeout", "\(Int(hangDeadline))",
            "-H", "Authorization: Bearer k", "-H", "Content-Type: application/json",
            "--data-binary", "@" + file.path, server.baseURL + "/chat/completions",
        ])
        #expect(result.stdout == "200", "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("Expect: 100-continue"), "curl did not ask: \(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("HTTP/1.1 100 Continue"), "no 100 Continue: \(result.stderr.suffix(2000))")
        #expect(server.requests().first?.body.count ?? 0 > 5 << 20)
    }

    @Test("A body over 64 MiB is refused with 413 from its Content-Length")
    func oversized() throws {
        let server = try startServer()
        defer { server.stop() }
        let connection = try RawHTTPConnection(port: server.port)
        connection.writeAll(Array("POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Length: 70000000\r\n\r\n{".utf8))
        let result = try connection.readResponse()
        #expect(result.status == 413)
        #expect((result.json()?["error"] as? [String: Any])?["code"] as? Int == 413)
    }

    @Test("GET /models filters by output modality; speech models list voices")
    func models() throws {
        let server = try startServer()
        defer { server.stop() }
        let images = try #require(try get(server, "/models?output_modalities=image").json()?["data"] as? [[String: Any]])
        #expect(images.count == 14)
        let flux = try #require(images.first { $0["id"] as? String == "black-forest-labs/flux.2-pro" })
        #expect((flux["architecture"] as? [String: Any])?["output_modalities"] as? [String] == ["image"])
        #expect((flux["pricing"] as? [String: Any])?["prompt"] is String)
        let speech = try #require(try get(server, "/models?output_modalities=speech").json()?["data"] as? [[String: Any]])
        let kokoro = try #require(speech.first { $0["id"] as? String == "hexgrad/kokoro-82m" })
        #expect(kokoro["supported_voices"] as? [String] == ["af_alloy", "af_bella", "am_adam", "bf_emma"])
        let all = try #require(try get(server, "/models?output_modalities=all").json()?["data"] as? [Any])
        #expect(all.count == 17)
        #expect(try get(server, "/model/black-forest-labs/flux.2-pro").status == 200)
        #expect(try get(server, "/model/acme/none").status == 404)
    }

    @Test("GET /generation reports the cost of ids the fake issued; /key reports usage")
    func generationAndKey() throws {
        let server = try startServer()
        defer { server.stop() }
        let chat = try post(server, "/chat/completions", chatBody(prompt: "#fake:images=2"))
        let id = try #require(chat.json()?["id"] as? String)
        let generation = try get(server, "/generation?id=\(id)")
        #expect(generation.status == 200)
        let data = try #require(generation.json()?["data"] as? [String: Any])
        #expect(data["id"] as? String == id)
        #expect(data["total_cost"] as? Double == 0.078)
        #expect(try get(server, "/generation?id=gen-unknown").status == 404)
        let key = try #require(try get(server, "/key").json()?["data"] as? [String: Any])
        #expect(key["label"] as? String == "fake")
        #expect(key["limit"] is NSNull)
        #expect(key["usage"] as? Double == 0.078)
        #expect(key["limit_remaining"] as? Double == 99.922)
    }

    @Test("Bench mode: one precomputed incompressible PNG of about imageBytes")
    func benchMode() throws {
        let server = try startServer {
            $0.imageBytes = 300_000
            $0.imagesPerResponse = 2
        }
        defer { server.stop() }
        let first = try post(server, "/chat/completions", chatBody(prompt: "one"))
        let second = try post(server, "/chat/completions", chatBody(prompt: "two", imageConfig: ["aspect_ratio": "16:9"]))
        let images = chatImages(first) + chatImages(second)
        #expect(images.count == 4)
        let bytes = images[0].bytes
        #expect(abs(bytes.count - 300_000) < 3_000, "\(bytes.count)")
        #expect(images.allSatisfy { $0.bytes == bytes })
        let png = try #require(parsePNG(bytes))
        #expect(png.crcsValid)
        #expect(try decodesCleanly(bytes, suffix: ".png"))
        #expect(first.json()?["id"] as? String != second.json()?["id"] as? String)
    }

    @Test("Only loopback hosts are accepted")
    func loopbackOnly() throws {
        var config = FakeConfiguration()
        config.host = "0.0.0.0"
        #expect(throws: FakeServerError.self) { try FakeOpenRouterServer(configuration: config).start() }
        config.host = "localhost"
        let server = FakeOpenRouterServer(configuration: config)
        let port = try server.start()
        #expect(port > 0 && server.port == port)
        #expect(server.baseURL == "http://127.0.0.1:\(port)/api/v1")
        server.stop()
        server.stop()
    }
}
