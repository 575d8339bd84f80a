import Foundation
import HTTP
import JSON
import OpenRouter
import Support
import Tasks
import Testing

/// Answers that are not what their status suggests, classified the way OpenRouter means
/// them (API reference, "How the real service behaves where money is at stake").
@Suite struct BillingClassificationTests {
    private func classify(_ status: Int, _ body: String, retryAfter: Double? = nil, headers: [(name: String, value: String)] = []) -> TaskFailure {
        ErrorClassifier.failure(status: status, body: ByteArray(Array(body.utf8)), retryAfter: retryAfter, headers: headers)
    }

    @Test func a402IsAWaitOneRequestsProblemOrTheEndOfTheCredit() {
        let inFlight = classify(402, #"{"error":{"code":402,"message":"This request would exceed your available credits given your current in-flight requests. Retry after in-flight requests settle.","metadata":{"reason":"in_flight_budget_exhausted"}}}"#, retryAfter: 2)
        #expect(inFlight.kind == .transient && inFlight.throttle == .inFlightBudget && inFlight.retryAfter == 2)
        // Retry-After alone says the same.
        #expect(classify(402, #"{"error":{"code":402,"message":"later"}}"#, retryAfter: 1).kind == .transient)
        let afford = classify(402, #"{"error":{"code":402,"message":"This request requires more credits, or fewer max_tokens. You requested up to 4096 tokens, but can only afford 1200."}}"#)
        #expect(afford.kind == .permanent)
        let out = classify(402, #"{"error":{"code":402,"message":"Insufficient credits"}}"#)
        #expect(out.kind == .paymentRequired)
    }

    @Test func a403IsASpendLimitOrARefusal() {
        let daily = classify(403, #"{"error":{"code":403,"message":"Key limit exceeded (daily limit). Manage it at https://openrouter.ai/settings/keys"}}"#)
        #expect(daily.kind == .keyLimit)
        let workspace = classify(403, #"{"error":{"code":403,"message":"Workspace Acme budget of $50 exceeded"}}"#)
        #expect(workspace.kind == .keyLimit)
        let moderated = classify(403, #"{"error":{"code":403,"message":"Input was flagged","metadata":{"reasons":["violence"],"flagged_input":"..."}}}"#)
        #expect(moderated.kind == .refused && moderated.refusal == "violence")
        #expect(classify(403, "{}").kind == .permanent)
    }

    @Test func a429SaysWhoseLimitItIs() {
        let keyHeaders = classify(429, #"{"error":{"code":429,"message":"Rate limit exceeded"}}"#, retryAfter: 1,
                                  headers: [("x-ratelimit-limit", "20"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1800000000000")])
        #expect(keyHeaders.kind == .transient && keyHeaders.throttle == .key(resetAt: 1_800_000_000))
        let keyMetadata = classify(429, #"{"error":{"code":429,"message":"Rate limit exceeded: free-models-per-day","metadata":{"headers":{"X-RateLimit-Limit":"50","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"1800000000000"}}}}"#)
        #expect(keyMetadata.throttle == .key(resetAt: 1_800_000_000))
        // The limit it names is what the run paces itself to, from headers or metadata.
        #expect(keyHeaders.keyRateLimit == 20 && keyMetadata.keyRateLimit == 50)
        let upstream = classify(429, #"{"error":{"code":429,"message":"Provider returned error","metadata":{"provider_name":"Google AI Studio","raw":"quota"}}}"#, retryAfter: 1)
        #expect(upstream.kind == .transient && upstream.throttle == .provider && upstream.details["provider"] == "Google AI Studio")
        // Neither said: the careful reading, the key's.
        #expect(classify(429, "{}").throttle == .key(resetAt: nil))
        #expect(classify(429, "{}").keyRateLimit == nil && upstream.keyRateLimit == nil)
    }

    private func decodeChat(_ body: String) -> TaskFailure? {
        do {
            _ = try ImageResponse.decodeChat(HTTPResponseHead(status: 200, headers: []), body: ByteArray(Array(body.utf8)))
            return nil
        } catch {
            return error
        }
    }

    @Test func anErrorInsideA200IsClassifiedByItsCodeFirst() {
        let alone = decodeChat(#"{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"busy","provider_name":"X"}}}"#)
        #expect(alone?.kind == .transient && alone?.throttle == .provider)
        let beside = decodeChat(#"{"id":"gen-1","choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}],"error":{"message":"bad request","code":400}}"#)
        #expect(beside?.kind == .permanent && beside?.status == 400)
        let typed = decodeChat(#"{"error":{"message":"overloaded","metadata":{"error_type":"provider_overloaded"}}}"#)
        #expect(typed?.kind == .transient)
        let retryable = decodeChat(#"{"error":{"message":"try later","availability":{"retryable":true}}}"#)
        #expect(retryable?.kind == .transient)
    }

    @Test func refusalsAreFinalOrSoftAndTheirPromptIsBilled() {
        let filtered = decodeChat(#"{"id":"gen-2","choices":[{"message":{"role":"assistant","content":"I can't."},"finish_reason":"content_filter","native_finish_reason":"IMAGE_PROHIBITED_CONTENT"}],"usage":{"cost":0.0012}}"#)
        #expect(filtered?.kind == .refused && filtered?.billedCost == 0.0012 && filtered?.refusal == "content_filter")
        let soft = decodeChat(#"{"id":"gen-3","choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop","native_finish_reason":"IMAGE_SAFETY"}],"usage":{"cost":0.0008}}"#)
        #expect(soft?.kind == .noImages && soft?.refusal == "IMAGE_SAFETY" && soft?.billedCost == 0.0008)
        let cold = decodeChat(#"{"id":"gen-4","choices":[{"message":{"role":"assistant","content":"Here is a description"},"finish_reason":"stop"}]}"#)
        #expect(cold?.kind == .noImages && cold?.refusal == nil && cold?.billedCost == nil)
    }
}
