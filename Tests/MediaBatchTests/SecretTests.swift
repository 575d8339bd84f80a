import FakeOpenRouter
import Foundation
import HTTP
import Runner
import Support
import Testing
import TestSupport

@Suite struct SecretTests {
    static let key = "sk-or-v1-TEST-5ec7e7c0ffee-not-a-real-key-5ec7e7c0ffee"

    @Test func theKeyNeverAppearsInAnythingMediabatchWritesOrPrints() throws {
        let server = try startFake { $0.acceptedKeys = [Self.key] }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("jobs/m.json", """
            {"name": "secret", "tasks": [
              {"id": "ok", "prompt": "a fox", "model": "google/gemini-2.5-flash-image", "count": 2},
              {"id": "refused", "prompt": "#fake:no-image", "model": "google/gemini-2.5-flash-image"},
              {"id": "bad", "prompt": "x", "model": "black-forest-labs/flux.2-pro", "imageConfig": {"aspect_ratio": "7:3"}},
              {"id": "say", "type": "tts", "text": "A short line."}
            ]}
            """)
        var printed = ""
        let run = try runCLI(["run", "jobs", "--base-url", server.baseURL, "--max-attempts", "2", "--verbose"],
                             environment: ["OPENROUTER_API_KEY": Self.key], in: folder.path)
        #expect(run.status == 1)  // two tasks fail on purpose: their errors are printed and journaled
        // The --verbose trace shows each request with its headers, the key's value redacted.
        #expect(run.stderr.contains("http > POST \(server.baseURL)/chat/completions | Authorization: [redacted]"))
        #expect(run.stderr.contains("http > POST \(server.baseURL)/audio/speech"))
        #expect(run.stderr.contains("http < 200 POST \(server.baseURL)/chat/completions in "))
        printed += run.stdout + run.stderr
        let status = try runCLI(["status", "output/secret", "--all"], in: folder.path)
        #expect(status.status == 0 && status.stderr.contains("3 done, 1 failed, 1 refused"), "\(status.stderr)")
        printed += status.stdout + status.stderr
        let config = try runCLI(["config", "show"], environment: ["OPENROUTER_API_KEY": Self.key], in: folder.path)
        #expect(config.stdout.contains("image key\tsk-or-…"))
        printed += config.stdout + config.stderr
        // The requests did carry it, so the test would notice a key that never went anywhere.
        #expect(server.requests().count >= 4)
        #expect(server.requests().allSatisfy { $0.header("authorization") == "Bearer \(Self.key)" })
        #expect(!printed.contains(Self.key))
        #expect(!printed.contains("5ec7e7c0ffee"))
        let written = folder.allFiles(under: "output")
        #expect(written.contains("secret/.mediabatch/journal.jsonl"))
        #expect(!written.contains("secret/.mediabatch/run.lock"))  // removed at a clean end
        for file in written {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/output/" + file))
            #expect(bytes.range(of: Data("5ec7e7c0ffee".utf8)) == nil, "\(file) holds the key")
        }
    }

    @Test func theTraceRedactsTheKeyWhereverItAppears() {
        let lines = Locked<[String]>([])
        let trace = HTTPTrace(secrets: [Self.key]) { line in lines.withLock { $0.append(line) } }
        let request = HTTPRequest(
            method: .post, url: "https://openrouter.ai/api/v1/chat/completions",
            headers: [("Authorization", "Bearer " + Self.key), ("X-Echo", Self.key)], body: Array(#"{"note":"\#(Self.key)"}"#.utf8))
        trace.sent(request)
        let answer = HTTPResponse(status: 401, headers: [("Content-Type", "application/json")],
                                  body: ByteArray(Array(#"{"error":{"message":"bad key \#(Self.key)"}}"#.utf8)))
        trace.received(answer.head, body: answer.body, for: request, seconds: 0.25)
        trace.failed(HTTPError(kind: .timeout, url: request.url, detail: "after " + Self.key), for: request, seconds: 1)
        // A key across the point where a body is cut short, and a second key that begins
        // with the first: neither leaves a piece behind.
        let straddling = String(repeating: "x", count: HTTPTrace.bodyPreview - 10) + Self.key + String(repeating: "y", count: 100)
        trace.received(HTTPResponseHead(status: 500, headers: []), body: ByteArray(Array(straddling.utf8)), for: request, seconds: 0)
        let longer = HTTPTrace(secrets: [Self.key, Self.key + "-tail-5ec7e7c0ffee"]) { line in lines.withLock { $0.append(line) } }
        longer.failed(HTTPError(kind: .transport, url: request.url, detail: Self.key + "-tail-5ec7e7c0ffee"), for: request, seconds: 0)
        let printed = lines.withLock { $0 }
        #expect(printed.count == 5)
        #expect(!printed.joined().contains("sk-or-v1-TEST") && !printed.joined().contains("-tail-"))
        #expect(printed[0].contains("Authorization: [redacted]") && printed[0].contains("X-Echo: [redacted]"))
        #expect(printed[1].hasPrefix("< 401 POST https://openrouter.ai/api/v1/chat/completions in 0.250 s"))
        #expect(printed[1].contains("bad key [redacted]"))
        #expect(printed.allSatisfy { !$0.contains("5ec7e7c0ffee") })
    }

    @Test func aKeyInADefaultsFileIsRefusedThereWithoutRepeatingIt() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("big.jsonl", #"{"id": "a", "prompt": "x", "model": "google/gemini-2.5-flash-image"}"# + "\n")
        // The raw spelling is found on its line; an escaped one once parsed (reported at line 1).
        for (name, spelled, line) in [("plain.json", Self.key, 2), ("escaped.json", "sk\\u002dor-v1-0123456789abcdef", 1)] {
            folder.write(name, "{\"defaults\": {\"image\": {\n  \"provider\": {\"apiKey\": \"\(spelled)\"}}}}")
            let result = try runCLI(["validate", "big.jsonl", "--defaults", name], in: folder.path)
            #expect(result.status == 65)
            #expect(result.stderr.contains("\(name):\(line)"))
            #expect(!result.stderr.contains("5ec7e7c0ffee") && !result.stderr.contains("0123456789abcdef"))
        }
    }

    @Test func aKeyInAManifestIsRefusedWithoutRepeatingIt() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"tasks": [
              {"id": "a", "prompt": "p", "model": "a/b",
               "provider": {"apiKey": "\(Self.key)"}}
            ]}
            """)
        let result = try runCLI(["validate", "m.json"], in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains("m.json:3:"))
        #expect(result.stderr.contains("looks like an OpenRouter API key"))
        #expect(!result.stderr.contains("5ec7e7c0ffee"))
    }
}

@Suite struct ConfinementTests {
    @Test func symlinksPlantedInTheOutputTreeCannotCarryWritesElsewhere() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let outside = TempFolder()
        defer { outside.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/out/m", withDestinationPath: outside.path)
        let manifest = #"{"tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#
        #expect(throws: PreparationError.self) { try runAgainst(server, manifest: manifest, in: folder) }
        #expect(outside.allFiles().isEmpty)
        #expect(server.requests().isEmpty)

        // A link deeper down, where an output name puts a subfolder: that task fails, nothing lands outside.
        try FileManager.default.removeItem(atPath: folder.path + "/out/m")
        try FileManager.default.createDirectory(atPath: folder.path + "/out/m", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/out/m/sub", withDestinationPath: outside.path)
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image", "output": "sub/{id}"},
                       {"id": "y", "prompt": "q", "model": "google/gemini-2.5-flash-image"}]}
            """, in: folder)
        #expect(summary.done == 1)
        #expect(summary.failures.first?.taskID == "x")
        #expect(outside.allFiles().isEmpty)
        #expect(folder.files(under: "out/m") == ["y.png"])
    }
}
