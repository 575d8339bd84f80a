import FakeOpenRouter
import Foundation
import OpenRouter
import Reports
import Runner
import Tasks
import Testing
import TestSupport

/// The client against each way the real service behaves where money is at stake, as the
/// fake plays it: what is sent, what is counted, what stops.
@Suite struct MoneyBehaviourTests {
    private func images(_ prompts: [String], model: String = "google/gemini-2.5-flash-image") -> String {
        let tasks = prompts.enumerated().map { #"{"id": "t\#($0.offset)", "prompt": "\#($0.element)"}"# }.joined(separator: ", ")
        return #"{"name": "m", "defaults": {"image": {"model": "\#(model)"}}, "tasks": [\#(tasks)]}"#
    }

    @Test func aChatGenerationWhoseTransferBrokeOffIsCountedAndItsRetryToo() throws {
        let server = try startFake { $0.faults = FaultPlan(seed: 1, maxFaultedAttempts: 1, mix: [.truncatedBody: 1]) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: images(["a fox", "a hare", "a wren"]), in: folder)
        #expect(summary.done == 3)
        // Six generations billed (three cut off, three delivered): the one spent figure says so.
        let billed = server.stats().billedCost
        #expect(server.stats().billedGenerations == 6)
        #expect(abs(summary.cost - billed) < 1e-9, "spent \(summary.cost), billed \(billed)")
        let records = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl").records("billed")
        #expect(records.count == 3 && records.allSatisfy { ($0["cost"] as? Double ?? 0) > 0 && $0["generation"] != nil })
        #expect(server.requests().filter { $0.path == "/generation" }.count == 3)
    }

    @Test func aBusyProviderSlowsItsModelOnlyAndNobodyElseWaits() throws {
        let server = try startFake { $0.faults = FaultPlan(retryAfterSeconds: 1) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let busy = (0..<2).map { #"{"id": "busy\#($0)", "prompt": "p\#($0) #fake:fault=429upstream #fake:fault-attempts=1", "model": "google/gemini-2.5-flash-image"}"# }
        let free = (0..<6).map { #"{"id": "free\#($0)", "prompt": "q\#($0)", "model": "google/gemini-3.1-flash-image-preview"}"# }
        let summary = try runAgainst(server, manifest: #"{"name": "m", "tasks": [\#((busy + free).joined(separator: ", "))]}"#, in: folder, concurrency: 2)
        #expect(summary.done == 8)
        #expect(server.stats().earlyRetries == 0)
        // The other model's requests went on inside the busy one's Retry-After second.
        let requests = server.requests().filter { $0.path == "/chat/completions" }
        let firstBusy = try #require(requests.first { prompt(of: $0)?.contains("fault=429upstream") == true })
        let retry = try #require(requests.last { prompt(of: $0) == prompt(of: firstBusy) })
        #expect(retry.receivedAt - firstBusy.receivedAt >= 1)
        let meanwhile = requests.filter { $0.receivedAt > firstBusy.receivedAt && $0.receivedAt < retry.receivedAt && prompt(of: $0)?.hasPrefix("q") == true }
        #expect(!meanwhile.isEmpty, "no other request while the busy model waited")
    }

    @Test func aLimitThatResetsHoursLaterFailsTheTaskWithTheTimeInsteadOfRetrying() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: images(["#fake:fault=429daily a fox"]), in: folder)
        #expect(summary.failed == 1)
        guard case .failed(let failure)? = summary.failures.first?.result else { Issue.record("no failure"); return }
        #expect(failure.message.contains("resets at"), "\(failure.message)")
        #expect(summary.failures.first?.attempts == 1)
        #expect(server.requests().filter { $0.path == "/chat/completions" }.count == 1)
    }

    @Test func aRetryAfterOfAnHourFailsTheTaskWithTheTimeInsteadOfHoldingTheRun() throws {
        let server = try startFake { $0.faults = FaultPlan(retryAfterSeconds: 3600) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: images(["#fake:fault=429upstream a fox", "a hare"]), in: folder)
        #expect(summary.done == 1 && summary.failed == 1)
        guard case .failed(let failure)? = summary.failures.first?.result else { Issue.record("no failure"); return }
        #expect(failure.message.contains("resets at"), "\(failure.message)")
        #expect(summary.failures.first?.attempts == 1)
    }

    @Test func creditHeldInFlightIsAWaitNotTheEndOfTheRun() throws {
        let server = try startFake { $0.faults = FaultPlan(retryAfterSeconds: 0.2, inFlightBudget: 1) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: images((0..<6).map { "image \($0)" }), in: folder, concurrency: 4)
        #expect(summary.done == 6 && summary.stop == nil)
        #expect(server.stats().earlyRetries == 0)
    }

    @Test func aRequestThatAsksForMoreThanTheCreditFailsAloneAndAPlain402StopsTheRun() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let afford = try runAgainst(server, manifest: images(["#fake:fault=402afford big", "small"]), in: folder, concurrency: 1)
        #expect(afford.done == 1 && afford.failed == 1 && afford.stop == nil)
        let plain = try runAgainst(server, manifest: images(["#fake:fault=402 x", "y", "z"]).replacingOccurrences(of: "\"m\"", with: "\"p\""), in: folder, concurrency: 1)
        guard case .paymentRequired? = plain.stop else { Issue.record("not stopped: \(String(describing: plain.stop))"); return }
    }

    @Test func theKeyLimitStopsTheRunWithExit75AndSaysWhenItResets() throws {
        let server = try startFake { $0.faults = FaultPlan(keyLimitAfterGenerations: 2) }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 6))
        let result = try runCLI(runArguments(server, ["--concurrency", "1"]), environment: ["OPENROUTER_API_KEY": "test-key"], in: folder.path)
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("spend limit") && result.stderr.contains("resets: daily"), "\(result.stderr)")
        #expect(server.requests().filter { $0.path == "/chat/completions" }.count == 3)
    }

    @Test func anErrorInsideA200IsRetriedByItsCodeAndARefusalIsBilledNotRetried() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: images([
            "#fake:fault=error200bare429 #fake:fault-attempts=1 a", "#fake:refuse=content_filter b",
        ]), in: folder)
        #expect(summary.done == 1 && summary.failed == 1)
        guard case .failed(let refusal)? = summary.failures.first?.result else { Issue.record("no failure"); return }
        #expect(refusal.kind == .refused)
        let refusedSent = server.requests().filter { prompt(of: $0)?.contains("refuse=") == true }.count
        #expect(refusedSent == 1)
        #expect(abs(summary.cost - server.stats().billedCost) < 1e-9)
    }
}
