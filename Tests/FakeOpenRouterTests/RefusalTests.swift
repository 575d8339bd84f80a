import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// Billed refusals (behaviour 7): no image, `usage.cost` > 0, counted in the billed total.
/// content_filter, IMAGE_PROHIBITED_CONTENT and PROHIBITED_CONTENT are deterministic;
/// IMAGE_SAFETY, NO_IMAGE and IMAGE_OTHER succeed on the next attempt.
@Suite("Billed refusals")
struct RefusalTests {
    static let cases: [(directive: String, finish: String, native: String, deterministic: Bool)] = [
        ("content_filter", "content_filter", "content_filter", true),
        ("image_prohibited_content", "content_filter", "IMAGE_PROHIBITED_CONTENT", true),
        ("prohibited_content", "content_filter", "PROHIBITED_CONTENT", true),
        ("image_safety", "stop", "IMAGE_SAFETY", false),
        ("no_image", "stop", "NO_IMAGE", false),
        ("image_other", "stop", "IMAGE_OTHER", false),
    ]

    @Test("#fake:refuse=REASON: finish reasons, billed prompt, deterministic or not")
    func directives() throws {
        let server = try startServer()
        defer { server.stop() }
        var billed = 0.0
        for (index, entry) in RefusalTests.cases.enumerated() {
            let body = chatBody(prompt: "task \(index) #fake:refuse=\(entry.directive)")
            let result = try post(server, "/chat/completions", body)
            #expect(result.status == 200)
            let choice = try #require(firstChoice(result))
            #expect(choice["finish_reason"] as? String == entry.finish, "\(entry.directive)")
            #expect(choice["native_finish_reason"] as? String == entry.native, "\(entry.directive)")
            #expect(chatImages(result).isEmpty)
            let cost = try #require(usageCost(result))
            #expect(cost > 0, "\(entry.directive): a refusal bills the prompt")
            let usage = try #require(result.json()?["usage"] as? [String: Any])
            #expect((usage["completion_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int == 120)
            let id = try #require(result.header("X-Generation-Id"))
            let data = try generationData(server, id)
            #expect(data["total_cost"] as? Double == cost)
            #expect(data["native_finish_reason"] as? String == entry.native)
            billed += cost
            // The same request again: a deterministic refusal stays; the others succeed once more.
            let again = try post(server, "/chat/completions", body)
            if entry.deterministic {
                #expect(firstChoice(again)?["native_finish_reason"] as? String == entry.native)
                #expect(chatImages(again).isEmpty)
            } else {
                #expect(chatImages(again).count == 1, "\(entry.directive): the retry should succeed")
            }
            billed += usageCost(again) ?? 0
        }
        #expect(server.stats().billedGenerations == 12)
        #expect(abs(server.stats().billedCost - billed) < 1e-9)
        // refuse-attempts: an IMAGE_SAFETY that holds for two attempts.
        let twice = chatBody(prompt: "stubborn #fake:refuse=image-safety #fake:refuse-attempts=2")
        #expect(chatImages(try post(server, "/chat/completions", twice)).isEmpty)
        #expect(chatImages(try post(server, "/chat/completions", twice)).isEmpty)
        #expect(chatImages(try post(server, "/chat/completions", twice)).count == 1)
    }

    @Test("Refusal fault kinds refuse-content-filter ... refuse-image-other, billed")
    func kinds() throws {
        let kinds: [FaultKind] = [
            .refusalContentFilter, .refusalImageProhibitedContent, .refusalProhibitedContent, .refusalImageSafety,
            .refusalNoImage, .refusalImageOther,
        ]
        for (kind, entry) in zip(kinds, RefusalTests.cases) {
            #expect(FaultKind(cliName: kind.cliName) == kind)
            #expect(kind.cliName == "refuse-" + entry.directive.replacingOccurrences(of: "_", with: "-"))
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], maxFaultedAttempts: 1) }
            defer { server.stop() }
            let result = try post(server, "/chat/completions", chatBody())
            #expect(firstChoice(result)?["finish_reason"] as? String == entry.finish)
            #expect(firstChoice(result)?["native_finish_reason"] as? String == entry.native)
            let cost = try #require(usageCost(result))
            #expect(cost > 0)
            #expect(server.stats().billedCost == cost)
            #expect(server.stats().billedGenerations == 1)
            // Speech cannot refuse this way: answered normally.
            let speech = try post(server, "/audio/speech", json(["model": "hexgrad/kokoro-82m", "input": "Hi", "voice": "af_alloy"]))
            #expect(speech.status == 200)
        }
    }
}
