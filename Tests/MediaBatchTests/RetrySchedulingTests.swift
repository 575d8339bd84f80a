import Foundation
import Testing
import TestSupport
import Tasks
import Support
@testable import Runner

/// Issue 13, throughput under faults: first attempts go before retries, a backoff counts
/// from the failed attempt's start, and a broken answer (not a strained server) is retried
/// at once when nothing else is in flight.
@Suite struct RetrySchedulingTests {
    func job(_ id: String) -> Job {
        let task = ImageTask(
            id: id, manifestName: "m", origin: TaskOrigin(file: "m.json", line: 1), output: OutputTarget(folder: "/nonexistent", baseName: id),
            prompt: "a fox", model: ModelRef("google/gemini-2.5-flash-image")!, aspectRatio: nil, resolution: nil, imageConfig: nil,
            provider: nil, fallbackModels: nil, inputImages: [], variant: 1)
        return Job(task: .image(task), key: id, journal: nil, firstStarted: MonotonicClock.now())
    }

    func source(concurrency: Int, retryPatience: Double = 60) -> JobSource {
        JobSource(capacity: 16, requestsPerMinute: nil, spending: Spending(cap: nil, catalog: nil), concurrency: concurrency, retryPatience: retryPatience)
    }

    /// A stall is found only by sending the request that stalls: every first attempt goes as
    /// early as the concurrency allows, and a retry already due waits for the supply to run dry.
    @Test func aFirstAttemptGoesBeforeARetryThatIsAlreadyDue() throws {
        let jobs = source(concurrency: 1)
        #expect(jobs.supply([job("a"), job("b")]))
        jobs.endSupply()
        let a = try #require(jobs.next())
        #expect(a.task.id == "a")
        jobs.retry(a, after: 0)
        #expect(jobs.next()?.task.id == "b", "the retry of a, due at once, went before b's first attempt")
    }

    /// An attempt that took longer than its backoff to fail has spaced itself out: its retry
    /// is due as soon as it fails, even while other requests are in flight.
    @Test func aBackoffCountsFromTheFailedAttemptsStart() throws {
        let jobs = source(concurrency: 2)
        #expect(jobs.supply([job("slow"), job("other")]))
        let slow = try #require(jobs.next())
        _ = try #require(jobs.next())  // in flight all along: the run is not idle
        // The attempt fails after longer than its backoff: the backoff has passed already.
        #expect(waitFor(timeout: hangDeadline) { MonotonicClock.now() - slow.attemptStarted > 0.3 })
        jobs.retry(slow, after: 0.2)
        jobs.endSupply()
        #expect(jobs.nextIfDue()?.task.id == "slow", "the retry waits its 0.2 s backoff again after an attempt of 0.3 s")
        jobs.stop()
    }

    /// With nothing else in flight, a retry the server named no time for keeps its backoff
    /// (an outage is outlasted), unless its failure said nothing of the server's health.
    @Test(arguments: [(nil as Double?, false), (0.0, true)])
    func aLoneRetryWaivesItsBackoffOnlyWhenToldItMay(serverDelay: Double?, goesAtOnce: Bool) throws {
        let jobs = source(concurrency: 2)
        #expect(jobs.supply([job("alone")]))
        jobs.endSupply()
        let alone = try #require(jobs.next())
        jobs.retry(alone, after: 30, serverDelay: serverDelay)
        #expect((jobs.nextIfDue()?.task.id == "alone") == goesAtOnce)
        jobs.stop()
    }

    /// Issue 13, `--max-cost` is a gate: a request whose cost cannot be estimated (no price,
    /// nothing paid yet) goes alone under a cap; once its cost is known, the next is priced by
    /// it and refused when it would cross the cap. Before, all four went at once (estimate 0)
    /// and the run spent four times the cap's worth.
    @Test func underACapAnUnpricedRequestGoesAloneUntilItsCostIsKnown() throws {
        let spending = Spending(cap: 0.05, catalog: nil)
        let jobs = JobSource(capacity: 16, requestsPerMinute: nil, spending: spending, concurrency: 4)
        #expect(jobs.supply((0..<4).map { job("t\($0)") }))
        jobs.endSupply()
        let first = try #require(jobs.next())
        #expect(first.probe != nil)
        #expect(spending.mustWait(job("t1")), "another unpriced request may go beside the first")
        let beside = jobs.nextIfDue()
        #expect(beside == nil, "an unpriced request went beside the first: \(beside?.task.id ?? "")")
        // A worker waits for the first answer; it wakes to the cap, and ends with nothing.
        let taken = Locked<[String]>([])
        let ended = Locked(false)
        let thread = Thread {
            while let next = jobs.next() { taken.withLock { $0.append(next.task.id) } }
            ended.withLock { $0 = true }
        }
        thread.start()
        // The first answer costs $0.039: the next would make $0.078, past the $0.05 cap.
        spending.settle(reserved: first.reserved, paid: 0.039, for: first)
        jobs.finish(first, succeeded: true)
        #expect(waitFor(timeout: hangDeadline) { ended.withLock { $0 } }, "the worker still waits")
        #expect(taken.withLock { $0 }.isEmpty)
        #expect(spending.capReached)
        #expect(spending.spent <= 0.05)
        jobs.stop()
    }

    /// Earlier runs' mean cost (over every model) is reserved for an unpriced request, but
    /// it is a guess, not this model's price: the request still goes alone. A free answer
    /// makes the model known (no more waiting).
    @Test func anEarlierRunsMeanIsAGuessNotAPriceAndAFreeAnswerIsAPrice() throws {
        let spending = Spending(cap: 1, catalog: nil, earlierMeanCost: 0.01)
        let jobs = JobSource(capacity: 16, requestsPerMinute: nil, spending: spending, concurrency: 4)
        #expect(jobs.supply([job("a"), job("b"), job("c")]))
        jobs.endSupply()
        let a = try #require(jobs.next())
        #expect(a.reserved == 0.01 && a.probe != nil)
        #expect(spending.mustWait(job("b")))
        spending.settle(reserved: a.reserved, paid: 0, for: a)
        jobs.finish(a, succeeded: true)
        #expect(!spending.mustWait(job("b")))
        let b = try #require(jobs.next())
        let c = try #require(jobs.next())
        #expect(b.probe == nil && c.probe == nil, "a model known free goes at full concurrency")
        jobs.stop()
    }

    /// An unpriced request that ends unpaid (a 502) lets the next go alone in its turn.
    @Test func anUnpricedRequestEndingUnpaidLetsTheNextGo() throws {
        let spending = Spending(cap: 1, catalog: nil)
        let jobs = JobSource(capacity: 16, requestsPerMinute: nil, spending: spending, concurrency: 4)
        #expect(jobs.supply([job("a"), job("b")]))
        jobs.endSupply()
        let a = try #require(jobs.next())
        // As the worker settles a request answered 502: no cost, and the probe ends with it.
        spending.settle(reserved: a.reserved, paid: nil, for: a)
        jobs.finish(a, succeeded: false)
        #expect(!spending.mustWait(job("b")))  // else the next() below would wait for ever
        let b = try #require(jobs.next())
        #expect(b.task.id == "b" && b.probe != nil)
        jobs.stop()
    }

    @Test func onlyA2xxAnswerThatBeganAndBrokeSaysNothingOfTheServersHealth() {
        var cut = TaskFailure(.transient, cause: .transport(.broken), message: "transfer closed")
        cut.generationID = "gen-1"
        #expect(cut.signalsStrain, "headers and keep-alive newlines only: OpenRouter sends them while the model works")
        cut.answerBegan = true
        #expect(!cut.signalsStrain)
        #expect(TaskFailure(.transient, cause: .api(code: "502"), status: 502, message: "bad gateway").signalsStrain)
        #expect(TaskFailure(.transient, cause: .transport(.connect), message: "refused").signalsStrain)
        #expect(TaskFailure(.transient, cause: .transport(.timeout), message: "timed out").signalsStrain)
        #expect(!TaskFailure(.transient, cause: .response, message: "truncated JSON").signalsStrain)
        #expect(TaskFailure(.noImages, cause: .response, status: 200, message: "no image").signalsStrain, "a model warming up")
    }

    /// First attempts first, but not forever: a retry that has waited its patience (the run's
    /// `--retry-max-delay`) past its time goes before the rest of a long supply.
    @Test func aRetryDueForItsPatienceGoesBeforeNewWork() throws {
        let jobs = source(concurrency: 1, retryPatience: 2)
        #expect(jobs.supply((0..<8).map { job("t\($0)") }))
        let first = try #require(jobs.next())
        jobs.retry(first, after: 0)
        var order: [String] = []
        let started = MonotonicClock.now()
        while order.last != first.task.id, let next = jobs.next() {
            order.append(next.task.id)
            if next.task.id != first.task.id { Thread.sleep(forTimeInterval: 0.5) }  // a 0.5 s answer
            jobs.finish(next, succeeded: true)
            #expect(MonotonicClock.now() - started < 10)
        }
        // Due at once, it waited 2 s (four answers of 0.5 s), then went before t5..t7.
        #expect(order == ["t1", "t2", "t3", "t4", "t0"], "\(order)")
        jobs.stop()
    }
}
