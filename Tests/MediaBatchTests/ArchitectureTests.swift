import FakeOpenRouter
import Foundation
import HTTP
import JSON
import Manifest
import OpenRouter
import Reports
import Runner
import Tasks
import Testing
import TestSupport

/// What the reshaped middle guarantees: a task runs exactly as it was validated (or fails
/// unsent with the reason), a narration that fails before any chunk has audio sends nothing
/// more (one that fails later still buys and keeps its other chunks for the rerun, see
/// `NarrationChunkTests`), the client encodes what it puts in URLs, and a run leaves the
/// reports of folders it did not touch alone.
@Suite struct ArchitectureTests {
    /// The runner's options against `server`, with fast retries.
    private func options(_ server: FakeOpenRouterServer, concurrency: Int = 2) -> RunOptions {
        var options = RunOptions(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "test-key"))
        options.concurrency = concurrency
        options.retryBaseDelay = 0.01
        return options
    }

    @Test func aTextFileChangedAfterValidationFailsUnsentWithItsPath() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let text = folder.write("chapter.txt", "The first version of the chapter.")
        let plan = try plan(#"{"name": "m", "tasks": [{"id": "c", "type": "tts", "textFile": "chapter.txt"}, {"id": "s", "type": "tts", "text": "Still here."}]}"#, in: folder)
        let runner = BatchRunner(options: options(server))
        let selection = try runner.prepare(plan)
        // Edited between validation and the run: its key no longer says what would be sent.
        try "A second, longer version of the chapter.".write(toFile: text, atomically: false, encoding: .utf8)
        let summary = try runner.run(plan, selection: selection)

        #expect(summary.done == 1 && summary.failed == 1)
        let failure = try #require(summary.failures.first)
        #expect(failure.taskID == "c")
        guard case .failed(let cause) = failure.result else { Issue.record("not a failure"); return }
        #expect(cause.cause == .file(path: text))
        #expect(cause.message.contains("changed after the run was validated"))
        // Nothing was sent for it: the fake saw the other task only.
        let inputs = server.requests().filter { $0.path == "/audio/speech" }.compactMap { $0.json()?["input"] as? String }
        #expect(inputs == ["Still here."])
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        let failed = journal.records("failed")
        #expect(failed.count == 1 && failed.first?["task"] as? String == "c" && failed.first?["cause"] as? String == "file")
        let started = journal.records("started")
        #expect(!started.isEmpty && started.allSatisfy { $0["task"] as? String == "s" })
    }

    @Test func aVanishedTextFileFailsTheTaskInsteadOfDroppingIt() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let text = folder.write("gone.txt", "Soon gone.")
        let plan = try plan(#"{"name": "m", "tasks": [{"id": "g", "type": "tts", "textFile": "gone.txt"}]}"#, in: folder)
        let runner = BatchRunner(options: options(server))
        let selection = try runner.prepare(plan)
        try FileManager.default.removeItem(atPath: text)
        let summary = try runner.run(plan, selection: selection)
        #expect(summary.failed == 1 && summary.done == 0 && summary.notRun == 0)
        guard case .failed(let failure)? = summary.failures.first?.result else { Issue.record("no failure recorded"); return }
        #expect(failure.cause == .plan)
        #expect(failure.message.contains("can no longer be built as it was validated"))
        #expect(server.requests().isEmpty)
    }

    @Test func aRetryOfAChunkIsNotSentOnceItsNarrationFailed() throws {
        // Chunk 1 meets a 503 (Retry-After 0.5 s); chunk 2, sent meanwhile, a 400: the
        // narration has failed, so chunk 1's retry must not be bought.
        let server = try startFake { $0.faults = FaultPlan(retryAfterSeconds: 0.5) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let first = "The first half of the narration is here #fake:status=503 and it goes on for a while longer."
        let second = "The second half of the narration is refused #fake:status=400 by the provider outright."
        let summary = try runAgainst(server, manifest: """
            {"name": "m", "tasks": [{"id": "n", "type": "tts", "maxChars": 100, "text": "\(first) \(second)"}]}
            """, in: folder, concurrency: 1)
        #expect(summary.failed == 1 && summary.done == 0)
        let inputs = server.requests().filter { $0.path == "/audio/speech" }.compactMap { $0.json()?["input"] as? String }
        #expect(inputs.count == 2, "sent: \(inputs)")
        #expect(Set(inputs) == [first, second])
    }

    @Test func generationIDsArePercentEncodedInTheCostQuery() throws {
        let server = try startFake()
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "test-key"))
        let answer = client.generationCost(id: "gen 1&model=x/y?z#w", on: try HTTPConnection())
        #expect(answer == .pending)  // no such generation: OpenRouter's 404
        let query = server.requests().first { $0.path == "/generation" }?.query
        #expect(query == "id=gen%201%26model%3Dx%2Fy%3Fz%23w")
        #expect(OpenRouterEndpoint.percentEncoded("gen-AbC_1.2~3") == "gen-AbC_1.2~3")
        #expect(OpenRouterEndpoint.percentEncoded("é") == "%C3%A9")
    }

    @Test func aNarrationUnderABudgetRecordsTheCostItsGenerationsReport() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let text = String(repeating: "A sentence of the narration that is long enough. ", count: 6)
        let summary = try runAgainst(server, manifest: """
            {"name": "m", "tasks": [{"id": "n", "type": "tts", "maxChars": 100, "text": "\(text)"}]}
            """, in: folder) { $0.maxCost = 100 }
        #expect(summary.done == 1)
        // Every chunk's cost was asked for, on the lookup lane, by its generation id.
        let speeches = server.requests().filter { $0.path == "/audio/speech" }.count
        let lookups = server.requests().filter { $0.path == "/generation" }
        #expect(speeches >= 3 && lookups.count >= speeches)
        let done = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl").records("done")
        let cost = try #require(done.first?["cost"] as? Double)
        #expect(cost > 0 && abs(cost - summary.cost) < 1e-9)
        #expect((done.first?["generation"] as? String)?.split(separator: ",").count == speeches)
    }

    @Test func aNoOpRerunKeepsTheLastReportOfEveryFolder() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = #"{"name": "m", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}, "tasks": [{"id": "a", "prompt": "a fox"}, {"id": "b", "prompt": "a hare"}]}"#
        let first = try runAgainst(server, manifest: manifest, in: folder)
        #expect(first.done == 2)
        let reportPath = folder.path + "/out/m/.mediabatch/report.json"
        let report = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        let again = try runAgainst(server, manifest: manifest, in: folder)
        #expect(again.done == 0 && again.alreadyDone == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: reportPath)) == report)
        let tasks = (try JSONSerialization.jsonObject(with: report) as? [String: Any])?["tasks"] as? [Any]
        #expect(tasks?.count == 2)
    }

    @Test func theKeyScanFindsAKeyAnywhereInAnyString() {
        for text in ["sk-or-v1-abc", "xsk-or-", "a b c sk-or-", "ssk-or-1", "日本 sk-or-x", "\u{0}sk-or-"] {
            #expect(APIKeyScan.contains(.string(text)), "\(text)")
        }
        for text in ["", "sk-or", "sk-o-r-", "s k-or-", "SK-OR-abc", "sk_or_abc", "ks-or-sk-o"] {
            #expect(!APIKeyScan.contains(.string(text)), "\(text)")
        }
        #expect(APIKeyScan.contains(["a": ["b": [.string("x"), .string("q sk-or-z")]]]))
        #expect(APIKeyScan.contains(.object(JSONObject([("sk-or-in-a-key", .int(1))]))))
    }

    @Test func theChunksOfOneNarrationAreSentInParallel() throws {
        let server = try startFake { $0.latency = 0.2 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("chapter.txt", chapterText(characters: 2_000))
        let summary = try runAgainst(server, manifest: """
            {"name": "m", "tasks": [{"id": "c", "type": "tts", "maxChars": 250, "textFile": "chapter.txt"}]}
            """, in: folder, concurrency: 4)
        #expect(summary.done == 1)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count >= 8)
        // One worker each used to mean one chunk at a time; never more than the bound. (The
        // chunks' cost lookups are not generations: they have lanes of their own.)
        #expect((2...4).contains(server.stats().maxGenerationsInFlight), "max in flight \(server.stats().maxGenerationsInFlight)")
    }
}
