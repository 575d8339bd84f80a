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
        for step in 0..<20 {
            limits.start("m", at: 4 + Double(step))
            limits.end("m", sentAt: 4 + Double(step), succeeded: true, now: 4.2 + Double(step))
        }
        #expect(limits.limit("m") == 16)
    }

    @Test func aLoweredLimitGrowsWithTimeWhenNothingAnswers() {
        var limits = ModelConcurrency(ceiling: 16)
        limits.halve("m", sentAt: 0, now: 10)
        limits.halve("m", sentAt: 10.5, now: 11)
        #expect(limits.limit("m") == 4)
        #expect(limits.nextRecovery(after: 11) == 11 + ModelConcurrency.recoveryInterval)
        // Four requests stall: the limit is full, and no answer comes to raise it.
        for _ in 0..<4 { limits.start("m", at: 11) }
        #expect(!limits.hasRoom("m", now: 11.5))
        limits.recover(now: 11.5)
        #expect(limits.limit("m") == 4)
        limits.recover(now: 11 + 2.5 * ModelConcurrency.recoveryInterval)
        #expect(limits.limit("m") == 6)
        #expect(limits.hasRoom("m", now: 13.5))
        limits.recover(now: 1000)
        #expect(limits.limit("m") == 16)
        #expect(limits.nextRecovery(after: 1000) == nil)
    }

    /// Only requests sent and answered teach the answer time: a narration that only joined
    /// kept chunks (an instant "answer") must not make every real request look overdue.
    @Test func anAnswerThatSentNothingTeachesNoAnswerTime() {
        var limits = ModelConcurrency(ceiling: 4)
        limits.start("tts", at: 0)
        limits.end("tts", sentAt: 0, succeeded: true, now: 60)  // a real 60 s answer
        for join in 0..<10 {  // ten narrations that only joined kept chunks
            limits.start("tts", at: 100 + Double(join) * 0.01)
            limits.end("tts", sentAt: 100 + Double(join) * 0.01, succeeded: true, learns: false, now: 100.001 + Double(join) * 0.01)
        }
        limits.halve("tts", sentAt: 100, now: 101)
        limits.halve("tts", sentAt: 102, now: 103)  // limit 1
        limits.start("tts", at: 110)
        // 60 s smoothed: overdue after 240 s, so at 200 s the request still counts.
        #expect(!limits.hasRoom("tts", now: 200))
        #expect(limits.hasRoom("tts", now: 351))
    }

    @Test func neverBelowOne() {
        var limits = ModelConcurrency(ceiling: 4)
        for step in 0..<10 { limits.halve("m", sentAt: Double(step), now: Double(step) + 0.5) }
        #expect(limits.limit("m") == 1)
        #expect(limits.hasRoom("m", now: 11))
        limits.start("m", at: 11)
        #expect(!limits.hasRoom("m", now: 11))
    }

    @Test func aStalledRequestStopsCountingAgainstItsModelsLimitOnceOverdue() {
        var limits = ModelConcurrency(ceiling: 16)
        // The model answers in 0.2 s; then two busy answers halve its limit to 4.
        limits.start("m", at: 0)
        limits.end("m", sentAt: 0, succeeded: true, now: 0.2)
        limits.halve("m", sentAt: 0.5, now: 1)
        limits.halve("m", sentAt: 1.5, now: 2)
        #expect(limits.limit("m") == 4)
        // Five requests stall from t=2: more than the lowered limit.
        for _ in 0..<5 { limits.start("m", at: 2) }
        #expect(!limits.hasRoom("m", now: 2.5))
        // They are overdue after max(4 x 0.2 s, 2 s) = 2 s: the model may send again at t=4,
        // before the limit's growth with time alone would make room (t=5, at 5 in flight).
        #expect(limits.nextRecovery(after: 2.5) == 3)  // the growth comes first
        limits.recover(now: 3.5)
        #expect(limits.limit("m") == 5)
        #expect(!limits.hasRoom("m", now: 3.5))
        #expect(limits.nextRecovery(after: 3.5) == 4)  // now the stalled ones turning overdue
        #expect(limits.hasRoom("m", now: 4.01))
        // After a 402 about credit held in flight, a stalled request holds its credit: it counts.
        limits.halve("m", sentAt: 4.5, now: 5, inFlightBudget: true)
        #expect(!limits.hasRoom("m", now: 60))
        // A model that never answered has nothing to compare with: nothing is overdue.
        limits.start("fresh", at: 0)
        for _ in 0..<15 { limits.start("fresh", at: 0) }
        #expect(!limits.hasRoom("fresh", now: 1000))
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
