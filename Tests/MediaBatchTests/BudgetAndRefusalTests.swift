import FakeOpenRouter
import Foundation
import HTTP
import OpenRouter
import Reports
import Runner
import Testing
import TestSupport

/// The budget over all runs, refusals that reruns leave alone, and patience with models that
/// send nothing for a long time.
@Suite struct BudgetAndRefusalTests {
    private let manifest = ##"{"name": "m", "defaults": {"image": {"model": "google/gemini-2.5-flash-image"}}, "tasks": [{"id": "a", "prompt": "a fox"}, {"id": "b", "prompt": "#fake:no-image"}, {"id": "c", "prompt": "a hare"}]}"##

    @Test func aRefusalIsRecordedAndLeftAloneUnlessRetryRefused() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let first = try runAgainst(server, manifest: manifest, in: folder)
        #expect(first.done == 2 && first.failed == 1)
        guard case .failed(let refusal)? = first.failures.first?.result else { Issue.record("no failure"); return }
        #expect(refusal.kind == .refused)
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.records("failed").first?["kind"] as? String == "refused")

        let sentBefore = server.requests().count
        let rerun = try runAgainst(server, manifest: manifest, in: folder)
        #expect(rerun.done == 0 && rerun.failed == 0 && rerun.alreadyDone == 2 && rerun.refusedBefore == 1)
        #expect(server.requests().count == sentBefore, "a rerun sent the refused task again")

        let retried = try runAgainst(server, manifest: manifest, in: folder) { $0.retryRefused = true }
        #expect(retried.failed == 1 && retried.refusedBefore == 0)
        #expect(server.requests().count > sentBefore)
    }

    @Test func aTotalBudgetCountsWhatEarlierRunsSpent() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        // Six images at $0.039: the first run may spend $0.10 (two images).
        let six = #"{"name": "m", "defaults": {"image": {"model": "google/gemini-2.5-flash-image"}}, "tasks": [{"id": "i", "prompt": "a fox", "count": 6}]}"#
        let first = try runAgainst(server, manifest: six, in: folder, concurrency: 1) { $0.maxTotalCost = 0.1 }
        #expect(first.done == 2 && first.stop == .budgetReached(first.cost))
        #expect(abs(first.cost - 0.078) < 1e-9)
        // "Run again to continue" does not spend another cap: the journal says $0.078 is gone.
        let sent = server.requests().count
        let second = try runAgainst(server, manifest: six, in: folder, concurrency: 1) { $0.maxTotalCost = 0.1 }
        #expect(second.done == 0 && second.alreadyDone == 2 && second.stop == .budgetReached(0))
        #expect(server.requests().count == sent)
        // A larger total lets exactly what fits under it run.
        let third = try runAgainst(server, manifest: six, in: folder, concurrency: 1) { $0.maxTotalCost = 0.2 }
        #expect(third.done == 3, "\(third.done) done")
        #expect(abs(0.078 + third.cost - 0.195) < 1e-9)
    }

    @Test func noLowSpeedAbortUnlessAnIdleTimeoutIsAsked() throws {
        // The fake sends nothing for 1.5 s before its answer, as slow models do for minutes.
        let server = try startFake { $0.latency = 1.5 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let one = #"{"name": "m", "tasks": [{"id": "a", "prompt": "a fox", "model": "google/gemini-2.5-flash-image"}]}"#
        let patient = try runAgainst(server, manifest: one, in: folder)
        #expect(patient.done == 1)
        let hasty = try runAgainst(server, manifest: one.replacingOccurrences(of: "\"m\"", with: "\"h\""), in: folder) {
            $0.limits.idleTimeout = 1
            $0.maxAttempts = 1
        }
        #expect(hasty.failed == 1)
        guard case .failed(let failure)? = hasty.failures.first?.result else { Issue.record("no failure"); return }
        #expect(failure.cause == .transport(.timeout), "\(failure)")
    }

    @Test func geminiSpeechIsChunkedWithinItsBound() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let tasks = try plan(#"""
            {"name": "m", "tasks": [
              {"id": "g", "type": "tts", "text": "x", "model": "google/gemini-2.5-flash-preview-tts", "voice": "Kore"},
              {"id": "h", "type": "tts", "text": "x", "model": "google/gemini-2.5-pro-preview-tts", "voice": "Kore", "maxChars": 900},
              {"id": "k", "type": "tts", "text": "x", "model": "hexgrad/kokoro-82m", "maxChars": 6000}
            ]}
            """#, in: folder).allTasks()
        let bounds = tasks.compactMap { task -> Int? in if case .speech(let speech) = task { return speech.maxChars } else { return nil } }
        #expect(bounds == [1500, 900, 6000])
    }
}
