import FakeOpenRouter
import Foundation
import Glibc
import Journal
import OpenRouter
import Reports
import Runner
import Testing
import TestSupport

/// Reliability under faults, crashes, signals, locks, reruns, shards and budgets, always
/// judged by what is on disk, what the fake saw and how the process exited, never by how
/// fast (waits end at `hangDeadline`, which only a hang reaches). Serialized: the tests run
/// subprocesses and big batches, and the CI machine has two cores.
@Suite(.serialized) struct ReliabilityTests {
    private let key = runEnvironment

    /// Relative paths below `sub` of PNGs that are missing or not complete valid PNGs.
    private func invalidPNGs(_ folder: TempFolder, under sub: String) -> [String] {
        folder.files(under: sub).filter { pngSize(folder.path + "/" + sub + "/" + $0) == nil }
    }

    // MARK: 1. Mixed faults

    @Test func thirtyPercentMixedFaultsStillFinishEveryTaskWithValidFiles() throws {
        let kinds: [FaultKind] = [
            .rateLimited, .serverError, .badGateway, .unavailable, .timeoutEdge, .overloaded,
            .resetMidBody, .truncatedBody, .malformedJSON, .errorIn200, .noImages,
        ]
        let server = try startFake {
            $0.faults = FaultPlan(rate: 0.3, kinds: kinds, seed: 20_260_301, maxFaultedAttempts: 2, retryAfterSeconds: 0.2)
        }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let count = 200
        let manifest = distinctTasksManifest(count: count)

        let (summary, events) = try runCollecting(server, manifest: manifest, in: folder, concurrency: 8) { $0.maxAttempts = 6 }

        let failures = summary.failures.map { outcome -> String in
            guard case .failed(let failure) = outcome.result else { return outcome.taskID }
            return "\(outcome.taskID) after \(outcome.attempts) attempts: [\(failure.kind.rawValue)] \(failure)"
        }
        #expect(summary.done == count, "failed tasks: \(failures)")
        #expect(summary.failed == 0, "failed tasks: \(failures)")
        #expect(summary.notRun == 0)
        #expect(summary.stop == nil)

        // Files on disk: one complete PNG per task, nothing else visible.
        let missingFiles = Set((1...count).map { taskID($0) + ".png" }).subtracting(folder.files(under: "out/m"))
        #expect(missingFiles.isEmpty, "missing files: \(missingFiles.sorted())")
        #expect(folder.files(under: "out/m").count == count)
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)

        // What the fake saw: faults happened, no retry came before its Retry-After, and every
        // request beyond the first per task answers one injected fault (no needless resend).
        let stats = server.stats()
        #expect(stats.faultsInjected > 0)
        #expect(stats.earlyRetries == 0, "retries sent before the Retry-After the fake asked for")
        #expect(generationRequests(server).count == count + stats.faultsInjected)

        // Every outcome within the attempt budget.
        let outcomes = events.compactMap { event -> TaskOutcome? in
            if case .finished(let outcome) = event { return outcome } else { return nil }
        }
        #expect(outcomes.count == count)
        #expect(outcomes.allSatisfy { $0.attempts >= 1 && $0.attempts <= 6 })
        #expect(outcomes.contains { $0.attempts > 1 })

        // The journal: exactly one `done` per task key, for exactly the plan's keys.
        let keys = Set(try plan(manifest, in: folder).allTasks().map { RunPlanner.identify($0).key })
        #expect(keys.count == count)
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.unparsable == 0)
        var doneByKey: [String: Int] = [:]
        for record in journal.records("done") { doneByKey[record["key"] as? String ?? "?", default: 0] += 1 }
        var taskOfKey: [String: String] = [:]
        for record in journal.records { if let key = record["key"] as? String { taskOfKey[key] = record["task"] as? String } }
        let missing = keys.subtracting(doneByKey.keys)
        #expect(missing.isEmpty, "no done record for \(missing.map { taskOfKey[$0] ?? $0 }.sorted())")
        #expect(Set(doneByKey.keys).subtracting(keys).isEmpty, "done records for keys not in the plan")
        #expect(doneByKey.values.allSatisfy { $0 == 1 }, "tasks with several done records: \(doneByKey.filter { $0.value != 1 }.keys.map { taskOfKey[$0] ?? $0 })")
    }

    // MARK: 2. 401 mid-run

    @Test func aKeyRevokedMidRunStopsAtOnceWithExit69() throws {
        let concurrency = 4
        let server = try startFake { $0.faults.unauthorizedAfter = 10 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 100))

        let result = try runCLI(runArguments(server, ["--concurrency", "\(concurrency)"]), environment: key, in: folder.path)

        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("401"))
        let requests = generationRequests(server)
        #expect(requests.count > 10, "the fake never answered 401")
        // After the first 401 at most the requests already in flight may arrive.
        #expect(requests.count <= 10 + concurrency, "\(requests.count) requests for a key refused after 10")
        // The ten accepted requests were all written; nothing else was.
        #expect(folder.files(under: "out/m").count == 10)
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
    }

    // MARK: 3. kill -9 and resume

    @Test func killNineAtRandomMomentsThenResumeLosesLittleAndLeavesNoDebris() throws {
        let concurrency = 4
        let count = 60
        let server = try startFake { $0.latency = 0.1 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: count))
        let arguments = runArguments(server, ["--concurrency", "\(concurrency)", "--quiet"])

        // Two kills the instant the fake receives a request (the moment a client that sends
        // before recording its previous answer would lose both), two at a random time; each
        // run resumes the last. The moments come from a seeded generator: the seed is printed
        // and named in every failure message (MEDIABATCH_TEST_SEED replays it).
        var random = try TestSeed.generator()
        var kills = 0
        var moments: [String] = ["seed \(random.seed)"]
        for cycle in 0..<4 {
            let cli = try BackgroundCLI(arguments, environment: key, in: folder.path, logName: "kill-\(cycle)")
            defer { cli.killAndReap() }
            if cycle < 2 {
                let target = server.stats().requests + Int.random(in: 5...12, using: &random)
                moments.append("on request \(target)")
                waitFor(timeout: hangDeadline, interval: 0.0002) { server.stats().requests >= target || !cli.isRunning }
            } else {
                let delay = Double.random(in: 0.3...0.8, using: &random)
                moments.append("after \((delay * 1000).rounded() / 1000) s")
                usleep(useconds_t(delay * 1_000_000))
            }
            cli.signal(SIGKILL)
            #expect(cli.wait(timeout: hangDeadline), "\(moments)")
            if cli.killedBySignal {
                kills += 1
            } else {
                // The run finished before the kill: then it must have finished cleanly.
                #expect(cli.status == 0, "\(moments): \(cli.stderr)")
                break
            }
        }
        #expect(kills >= 2, "the runs finished before their kills (\(moments))")

        let final = try runCLI(arguments, environment: key, in: folder.path)
        #expect(final.status == 0, "\(moments): \(final.stderr)")

        let expected = (1...count).map { taskID($0) + ".png" }
        #expect(folder.files(under: "out/m") == expected, "\(moments)")
        #expect(invalidPNGs(folder, under: "out/m").isEmpty, "\(moments)")
        #expect(tempLeftovers(folder, under: "out").isEmpty, "\(moments)")
        // Each image, its sidecar and the journal (the lock is removed at a clean end): nothing else (no half-written debris).
        let media: [String] = expected.flatMap { name -> [String] in ["m/" + name, "m/" + name + ".json"] }
        let allowed: [String] = (["m/.mediabatch/journal.index", "m/.mediabatch/journal.jsonl", "m/.mediabatch/report.json", "m/.mediabatch/results.csv", "m/index.html"] + media).sorted()
        // The gallery's thumbnails (`<hash>.jpg`, no temp file of a killed run) are allowed too.
        let present: [String] = folder.allFiles(under: "out").filter { $0.wholeMatch(of: #/m/\.mediabatch/thumbs/[0-9a-f]{32}\.jpg/#) == nil }
        #expect(present == allowed, "stray files: \(present.filter { !allowed.contains($0) }) (\(moments))")

        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.unparsable <= kills, "more torn journal lines than kills (\(moments))")
        let done = journal.doneCountByTask
        #expect(Set(done.keys) == Set((1...count).map(taskID)), "\(moments)")
        #expect(done.values.allSatisfy { $0 == 1 }, "tasks done more than once: \(done.filter { $0.value != 1 }) (\(moments))")

        // Work lost to the kills: at most the requests in flight at each kill.
        let resent = generationRequests(server).count - count
        #expect(resent >= 0, "\(moments)")
        #expect(resent <= kills * concurrency, "\(resent) requests re-sent after \(kills) kills (\(moments))")
    }

    // MARK: 4. Run lock

    @Test func aSecondRunOnTheSameRootExits75AndNamesTheHolder() throws {
        // No answer comes within the test: the first run holds the lock until it is killed.
        let server = try startFake { $0.latency = 3600 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 40))
        let first = try BackgroundCLI(runArguments(server, ["--concurrency", "2"]), environment: key.merging(["OPENROUTER_API_KEY": "first"]) { $1 },
                                      in: folder.path, logName: "first")
        defer { first.killAndReap() }

        let lockPath = folder.path + "/out/m/.mediabatch/run.lock"
        let locked = waitFor(timeout: hangDeadline) { (try? String(contentsOfFile: lockPath, encoding: .utf8))?.contains("pid") == true }
        try #require(locked, "the first run never took the lock: \(first.stderr)")
        #expect(first.isRunning)

        // The lock is never released while the second run lives, so a second run that waited
        // for it instead of giving up would still be running at the deadline.
        let second = try BackgroundCLI(runArguments(server, ["--concurrency", "2"]), environment: key.merging(["OPENROUTER_API_KEY": "second"]) { $1 },
                                       in: folder.path, logName: "second")
        defer { second.killAndReap() }
        try #require(second.wait(timeout: hangDeadline), "the second run waited for the lock instead of giving up")

        #expect(!second.killedBySignal)
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("pid"))
        #expect(second.stderr.contains("pid \(first.pid)"), "\(second.stderr)")
        #expect(!server.requests().contains { $0.header("authorization") == "Bearer second" })
        #expect(first.isRunning, "the first run was disturbed")

        first.signal(SIGKILL)
        #expect(first.wait(timeout: hangDeadline))
    }

    // MARK: 5. SIGTERM

    @Test func sigtermFinishesInFlightWorkExits143AndARerunCompletes() throws {
        let count = 20
        let concurrency = 4
        let latency = 1.0
        let server = try startFake { $0.latency = latency }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: count))
        // A grace far above hangDeadline: a run that sat out its grace instead of ending when
        // its last request is answered fails the wait below.
        let cli = try BackgroundCLI(runArguments(server, ["--concurrency", "\(concurrency)", "--grace", "600"]), environment: key,
                                    in: folder.path, logName: "term")
        defer { cli.killAndReap() }

        // Signal while the third round is in flight: twelve requests received, four of them
        // (the client's whole concurrency) unanswered.
        let inThirdRound = waitFor(timeout: hangDeadline, interval: 0.001) {
            generationRequests(server).count >= 3 * concurrency && server.stats().inFlight == concurrency || !cli.isRunning
        }
        try #require(inThirdRound && cli.isRunning, "the run never had its third round in flight: \(cli.stderr)")
        let receivedBefore = generationRequests(server)
        cli.signal(SIGTERM)
        let signalled = monotonicNow()
        #expect(cli.wait(timeout: hangDeadline), "the run did not end after SIGTERM (grace 600 s)")

        #expect(!cli.killedBySignal)
        #expect(cli.status == 143, "\(cli.stderr)")
        #expect(cli.stderr.contains("terminated"))

        // Nothing new started after the signal. The fake answers a request `latency` after it
        // arrived. If the last four requests before the signal arrived less than `latency`
        // before it, none of them had been answered by then: the client held four requests
        // open, all it may, so every request beyond these was sent after SIGTERM. On a machine
        // so slow that this does not hold, each answer released before the signal may have
        // let one more request go out legitimately, and the bound is looser by those.
        let quiet = receivedBefore.suffix(concurrency).allSatisfy { $0.receivedAt > signalled - latency }
        let allowed = receivedBefore.count + (quiet ? 0 : concurrency)
        if !quiet { print("sigterm test: an answer could have been sent before the signal; allowing \(concurrency) more requests") }
        let received = generationRequests(server).count
        #expect(received <= allowed, "\(received - receivedBefore.count) requests after SIGTERM (\(quiet ? "none" : "\(concurrency)") allowed)")

        let partial = folder.files(under: "out/m")
        #expect(!partial.isEmpty && partial.count < count, "\(partial.count) files")
        // The requests in flight were let finish, and nothing sent was thrown away: every
        // request the fake received became a file.
        #expect(partial.count >= receivedBefore.count, "\(partial.count) files for \(receivedBefore.count) requests sent before SIGTERM")
        #expect(partial.count == received, "\(received) requests, \(partial.count) files")
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
        // Every file written before the exit is journaled done, so a rerun keeps it.
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.unparsable == 0)
        #expect(Set(journal.doneCountByTask.keys) == Set(partial.map { String($0.dropLast(4)) }))

        let rerun = try runCLI(runArguments(server, ["--concurrency", "8"]), environment: key, in: folder.path)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(folder.files(under: "out/m") == (1...count).map { taskID($0) + ".png" })
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(generationRequests(server).count - received == count - partial.count)
    }

    // MARK: 6. Reruns skip done work

    @Test func rerunsSendOnlyWhatIsMissingKeepWhatChangedAndForceRedoesAll() throws {
        let count = 10
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: count))
        let arguments = runArguments(server)
        let out = folder.path + "/out/m/"

        let first = try runCLI(arguments, environment: key, in: folder.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(server.requests().count == count)
        #expect(folder.files(under: "out/m").count == count)

        // Nothing to do: nothing sent.
        let second = try runCLI(arguments, environment: key, in: folder.path)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.requests().count == count)

        // A deleted file: exactly its task again.
        let original3 = try #require(FileManager.default.contents(atPath: out + "t003.png"))
        try FileManager.default.removeItem(atPath: out + "t003.png")
        let third = try runCLI(arguments, environment: key, in: folder.path)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(server.requests().count == count + 1)
        #expect(server.requests().last.flatMap(prompt)?.hasPrefix("picture 3 ") == true)
        #expect(FileManager.default.contents(atPath: out + "t003.png") == original3)

        // A changed file (same size, other bytes, another mtime), which may be a retouch: kept
        // as it is, its task not sent.
        let original5 = try #require(FileManager.default.contents(atPath: out + "t005.png"))
        var damaged = [UInt8](original5)
        for index in stride(from: damaged.count / 3, to: damaged.count / 3 + 64, by: 1) { damaged[index] ^= 0xFF }
        try Data(damaged).write(to: URL(fileURLWithPath: out + "t005.png"))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)], ofItemAtPath: out + "t005.png")
        #expect(FileManager.default.contents(atPath: out + "t005.png")?.count == original5.count)
        let fourth = try runCLI(arguments, environment: key, in: folder.path)
        #expect(fourth.status == 0, "\(fourth.stderr)")
        #expect(fourth.stderr.contains("kept t005"), "\(fourth.stderr)")
        #expect(server.requests().count == count + 1)
        #expect(FileManager.default.contents(atPath: out + "t005.png") == Data(damaged))

        // --force: everything again, the changed file included.
        let forced = try runCLI(arguments + ["--force"], environment: key, in: folder.path)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(server.requests().count == 2 * count + 1)
        #expect(FileManager.default.contents(atPath: out + "t005.png") == original5)
        #expect(folder.files(under: "out/m") == (1...count).map { taskID($0) + ".png" })
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
    }

    // MARK: 7. Shards

    @Test func shardsPartitionTheTasksAndTogetherWriteWhatOneRunWrites() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let count = 40
        let manifest = distinctTasksManifest(count: count)
        let keys = try plan(manifest, in: folder).allTasks().map { RunPlanner.identify($0).key }
        #expect(Set(keys).count == count)
        for n in 1...8 {
            let shards = (0..<n).map { Shard(index: $0, count: n)! }
            #expect(Shard(index: n, count: n) == nil)
            let misplaced = keys.filter { key in shards.filter { $0.contains(key: key) }.count != 1 }
            #expect(misplaced.isEmpty, "\(misplaced.count) of \(count) tasks are not in exactly one of \(n) shards")
        }

        let server = try startFake()
        defer { server.stop() }
        folder.write("m.json", manifest)
        let shard0 = try runCLI(runArguments(server, root: "sharded", ["--shard", "0/2"]), environment: key, in: folder.path)
        #expect(shard0.status == 0, "\(shard0.stderr)")
        let afterShard0 = folder.files(under: "sharded/m")
        #expect(!afterShard0.isEmpty && afterShard0.count < count, "shard 0/2 wrote \(afterShard0.count) of \(count)")
        let shard1 = try runCLI(runArguments(server, root: "sharded", ["--shard", "1/2"]), environment: key, in: folder.path)
        #expect(shard1.status == 0, "\(shard1.stderr)")
        #expect(server.requests().count == count, "the two shards together sent \(server.requests().count) requests")

        let whole = try runCLI(runArguments(server, root: "whole"), environment: key, in: folder.path)
        #expect(whole.status == 0, "\(whole.stderr)")

        func sizes(_ sub: String) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: folder.files(under: sub).map { name in
                (name, (FileManager.default.contents(atPath: folder.path + "/" + sub + "/" + name)?.count) ?? -1)
            })
        }
        let sharded = sizes("sharded/m")
        #expect(sharded.count == count)
        #expect(sharded == sizes("whole/m"))
        #expect(invalidPNGs(folder, under: "sharded/m").isEmpty)
    }

    // MARK: 8. Budget

    @Test func maxCostStopsEarlyWithExit75() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        // google/gemini-2.5-flash-image costs 0.039 per image in the fake: a third would cross 0.1.
        folder.write("m.json", distinctTasksManifest(count: 20, model: "google/gemini-2.5-flash-image", resolution: nil))

        let result = try runCLI(runArguments(server, ["--concurrency", "1", "--max-cost", "0.1"]), environment: key, in: folder.path)

        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("--max-cost budget ($0.0780 spent)"), "\(result.stderr)")
        let files = folder.files(under: "out/m")
        // The gate: after two images ($0.078 spent) the third's estimate (what the model has
        // cost so far) would cross $0.10, so it is not started. Nothing is spent past the cap.
        #expect(generationRequests(server).count == 2, "\(generationRequests(server).count) requests for a cap the third would cross")
        #expect(files.count == 2)
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
    }

    // MARK: 9. Retry-After

    @Test func retryAfterOf429IsHonoured() throws {
        let server = try startFake {
            $0.faults = FaultPlan(rate: 1.0, kinds: [.rateLimited], seed: 7, maxFaultedAttempts: 1, retryAfterSeconds: 0.5)
        }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }

        let started = monotonicNow()
        let summary = try runAgainst(server, manifest: distinctTasksManifest(count: 6), in: folder, concurrency: 3)
        let elapsed = monotonicNow() - started

        #expect(summary.done == 6, "\(summary.failures.map(\.taskID))")
        #expect(summary.failed == 0)
        let stats = server.stats()
        #expect(stats.faultsInjected == 6)
        #expect(stats.earlyRetries == 0, "retries sent before the 0.5 s Retry-After")
        #expect(elapsed >= 0.5, "the run took \(elapsed) s despite Retry-After: 0.5")
        #expect(generationRequests(server).count == 12)
        #expect(invalidPNGs(folder, under: "out/m").isEmpty)
        #expect(folder.files(under: "out/m").count == 6)
    }

    /// A backoff spreads retries out while other requests are sent; with nothing in flight and
    /// a Retry-After from the server, it only leaves the run idle: the lone retry goes when
    /// the server allows. Without the rule, this retry waits a random 0-60 s. (Without a
    /// Retry-After the backoff stands: it is what outlasts a short outage; but an answer that
    /// began and broke, truncated here, says nothing of the server's health, and goes again
    /// at once.)
    @Test(arguments: [(FaultKind.rateLimited, 1.0), (FaultKind.upstreamRateLimited, 1.0), (FaultKind.truncatedBody, 0.0)])
    func aLoneRetryGoesAsSoonAsTheServerAllowsWhenNothingElseIsInFlight(kind: FaultKind, retryAfter: Double) throws {
        let server = try startFake {
            $0.faults = FaultPlan(rate: 1.0, kinds: [kind], seed: 3, maxFaultedAttempts: 1, retryAfterSeconds: retryAfter)
        }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }

        let summary = try runAgainst(server, manifest: distinctTasksManifest(count: 1), in: folder, concurrency: 4) {
            $0.retryBaseDelay = 60
            $0.retryMaxDelay = 60
        }

        #expect(summary.done == 1)
        let requests = generationRequests(server)
        try #require(requests.count == 2)
        let gap = requests[1].receivedAt - requests[0].receivedAt
        #expect(server.stats().earlyRetries == 0, "the retry went before the server's Retry-After")
        #expect(gap >= retryAfter, "retried \(gap) s after the first try, before its Retry-After of \(retryAfter) s")
        #expect(gap < retryAfter + 3, "retried \(gap) s after the first try, with nothing else to send")
    }
}
