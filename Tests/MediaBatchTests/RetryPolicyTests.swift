import HTTP
import OpenRouter
import Runner
import Support
import Tasks
import Testing

@Suite struct RetryPolicyTests {
    @Test func retryAfterReadsSecondsFractionsAndHTTPDates() {
        #expect(RetryAfter.seconds(from: "120") == 120)
        #expect(RetryAfter.seconds(from: " 0.5 ") == 0.5)
        // 1994-11-06 08:49:37 UTC is 784111777.
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_767) == 10)
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_800) == 0)
        #expect(RetryAfter.seconds(from: "soon") == nil)
    }

    @Test func backoffIsCappedJitterThatNeverUndercutsTheServer() {
        let policy = RetryPolicy(baseDelay: 1, maxDelay: 8)
        let plain = TaskFailure(.transient, cause: .api(code: nil), status: 500, message: "x")
        for attempt in 1...10 {
            for _ in 0..<50 {
                let delay = policy.delay(after: attempt, failure: plain)
                #expect(delay >= 0 && delay <= min(8, Double(1 << (attempt - 1))))
            }
        }
        let told = TaskFailure(.transient, cause: .api(code: nil), status: 429, message: "x", retryAfter: 30)
        for _ in 0..<50 { #expect(policy.delay(after: 1, failure: told) >= 30) }
    }

    @Test func errorBodiesAreClassifiedLikeTheReferenceSays() {
        func kind(_ status: Int, _ body: String = "{}") -> TaskFailure.Kind {
            ErrorClassifier.failure(status: status, body: ByteArray(Array(body.utf8)), retryAfter: nil).kind
        }
        for status in [408, 429, 500, 502, 503, 504, 524, 529] { #expect(kind(status) == .transient) }
        for status in [400, 403, 404, 413, 422] { #expect(kind(status) == .permanent) }
        #expect(kind(401) == .unauthorized)
        #expect(kind(402) == .paymentRequired)
        let retryable = #"{"error":{"code":404,"message":"busy","availability":{"retryable":true,"retry_after":7}}}"#
        #expect(kind(404, retryable) == .transient)
        let failure = ErrorClassifier.failure(status: 404, body: ByteArray(Array(retryable.utf8)), retryAfter: 2)
        #expect(failure.retryAfter == 7)
        let moderated = #"{"error":{"code":403,"message":"flagged","metadata":{"reasons":["violence","hate"],"flagged_input":"..."}}}"#
        let refusal = ErrorClassifier.failure(status: 403, body: ByteArray(Array(moderated.utf8)), retryAfter: nil)
        #expect(refusal.details["reasons"] == "violence, hate")
        #expect(refusal.message == "flagged")
    }
}

@Suite struct NoImageRetryTests {
    @Test func onlyAnswersWithoutImagesUseUpTheirAllowance() {
        let retries = RetryDecision(policy: RetryPolicy(baseDelay: 0.01, maxDelay: 1), maxAttempts: 6, maxNoImageAttempts: 3)
        let empty = TaskFailure(.noImages, cause: .response, status: 200, message: "x")
        // Two transient failures, then the first answer without an image: still retried.
        #expect(retries.delay(for: empty, attempt: 3, noImageAnswers: 1) != nil)
        #expect(retries.delay(for: empty, attempt: 3, noImageAnswers: 3) == nil)
        #expect(retries.delay(for: empty, attempt: 6, noImageAnswers: 1) == nil)
        let permanent = TaskFailure(.permanent, cause: .api(code: nil), status: 400, message: "x")
        #expect(retries.delay(for: permanent, attempt: 1, noImageAnswers: 0) == nil)
    }
}
