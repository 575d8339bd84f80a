import Testing
import Runner

/// The per-model concurrency (AIMD): busy answers to one burst of requests halve it once.
@Suite struct ModelConcurrencyTests {
    @Test func busyAnswersToOneBurstHalveOnceAndALaterOneHalvesAgain() {
        var limits = ModelConcurrency(ceiling: 16)
        // Sixteen requests sent at t=0..1; three come back busy at t=2, 2.1 and 2.2.
        limits.halve("m", sentAt: 0.5, now: 2.0)
        limits.halve("m", sentAt: 0.7, now: 2.1)
        limits.halve("m", sentAt: 1.0, now: 2.2)
        #expect(limits.limit("m") == 8)
        // A request sent after that halving and answered busy: the model is still overloaded.
        limits.halve("m", sentAt: 2.5, now: 3.0)
        #expect(limits.limit("m") == 4)
        // Other models are untouched; successes add one each, up to the ceiling.
        #expect(limits.limit("other") == 16)
        for _ in 0..<20 {
            limits.start("m")
            limits.end("m", succeeded: true)
        }
        #expect(limits.limit("m") == 16)
    }

    @Test func aLoweredLimitGrowsWithTimeWhenNothingAnswers() {
        var limits = ModelConcurrency(ceiling: 16)
        limits.halve("m", sentAt: 0, now: 10)
        limits.halve("m", sentAt: 10.5, now: 11)
        #expect(limits.limit("m") == 4)
        #expect(limits.nextRecovery == 11 + ModelConcurrency.recoveryInterval)
        // Four requests stall: the limit is full, and no answer comes to raise it.
        for _ in 0..<4 { limits.start("m") }
        #expect(!limits.hasRoom("m"))
        limits.recover(now: 11.5)
        #expect(limits.limit("m") == 4)
        limits.recover(now: 11 + 2.5 * ModelConcurrency.recoveryInterval)
        #expect(limits.limit("m") == 6)
        #expect(limits.hasRoom("m"))
        limits.recover(now: 1000)
        #expect(limits.limit("m") == 16)
        #expect(limits.nextRecovery == nil)
    }

    @Test func neverBelowOne() {
        var limits = ModelConcurrency(ceiling: 4)
        for step in 0..<10 { limits.halve("m", sentAt: Double(step), now: Double(step) + 0.5) }
        #expect(limits.limit("m") == 1)
        #expect(limits.hasRoom("m"))
        limits.start("m")
        #expect(!limits.hasRoom("m"))
    }

    @Test func theRunPacesToTheKeysLimitOnlyWhenItIsLowerThanItsOwn() {
        let free = JobSource(capacity: 4, requestsPerMinute: nil, spending: Spending(cap: nil, catalog: nil), concurrency: 4)
        #expect(free.pace(perMinute: 600))
        #expect(!free.pace(perMinute: 600))
        #expect(!free.pace(perMinute: 1000))
        #expect(free.pace(perMinute: 300))
        #expect(!free.pace(perMinute: 0))
        let capped = JobSource(capacity: 4, requestsPerMinute: 100, spending: Spending(cap: nil, catalog: nil), concurrency: 4)
        #expect(!capped.pace(perMinute: 600))
        #expect(capped.pace(perMinute: 50))
    }
}
