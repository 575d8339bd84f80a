import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// 200s that carry an error object (behaviour 6): a top-level `error` and no `choices`, or a
/// top-level `error` next to `choices`. Neither is billed.
@Suite("200 with a top-level error")
struct ErrorIn200Tests {
    private func checkProviderError(_ error: [String: Any], code: Int) throws {
        #expect(error["code"] as? Int == code)
        #expect(error["message"] as? String == "Provider returned error")
        let metadata = try #require(error["metadata"] as? [String: Any])
        #expect(metadata["provider_name"] as? String == "Google")
        #expect((metadata["raw"] as? String)?.isEmpty == false)
        #expect(metadata["error_type"] == nil)
    }

    @Test("Kinds error200bare429 and error200bare502: only a top-level error, no choices, not billed")
    func bare() throws {
        for (kind, code) in [(FaultKind.bareError429In200, 429), (.bareError502In200, 502)] {
            let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [kind], maxFaultedAttempts: 1) }
            defer { server.stop() }
            let result = try post(server, "/chat/completions", chatBody())
            #expect(result.status == 200)
            #expect(result.header("Content-Type") == "application/json")
            let object = try #require(result.json())
            #expect(object["choices"] == nil)
            #expect(object["usage"] == nil)
            try checkProviderError(try #require(object["error"] as? [String: Any]), code: code)
            let id = try #require(result.header("X-Generation-Id"))
            #expect(try generationData(server, id)["total_cost"] as? Double == 0)
            #expect(server.stats().billedGenerations == 0)
            #expect(server.stats().faultsInjected == 1)
            #expect(try post(server, "/chat/completions", chatBody()).status == 200)
            #expect(server.stats().billedGenerations == 1)
        }
        #expect(FaultKind(cliName: "error200bare429") == .bareError429In200)
        #expect(FaultKind(cliName: "error200bare502") == .bareError502In200)
    }

    @Test("Kind error200beside: a top-level error next to choices, usage.cost 0")
    func beside() throws {
        let server = try startServer { $0.faults = FaultPlan(rate: 1, kinds: [.errorBesideChoicesIn200]) }
        defer { server.stop() }
        let result = try post(server, "/chat/completions", chatBody())
        #expect(result.status == 200)
        let object = try #require(result.json())
        try checkProviderError(try #require(object["error"] as? [String: Any]), code: 502)
        let choice = try #require(firstChoice(result))
        #expect(choice["finish_reason"] is NSNull)
        #expect(choice["native_finish_reason"] is NSNull)
        #expect(chatImages(result).isEmpty)
        #expect(usageCost(result) == 0)
        #expect(object["id"] as? String == result.header("X-Generation-Id"))
        #expect(server.stats().billedGenerations == 0)
        #expect(FaultKind(cliName: "error200beside") == .errorBesideChoicesIn200)
    }

    @Test("Directives #fake:fault=error200bare429|error200bare502|error200beside; only on chat")
    func directives() throws {
        let server = try startServer()
        defer { server.stop() }
        let bare = try post(server, "/chat/completions", chatBody(prompt: "fox #fake:fault=error200bare429"))
        #expect(bare.status == 200)
        #expect(bare.json()?["choices"] == nil)
        #expect((bare.json()?["error"] as? [String: Any])?["code"] as? Int == 429)
        let beside = try post(server, "/chat/completions", chatBody(prompt: "fox #fake:fault=error200beside"))
        #expect(beside.json()?["choices"] != nil && beside.json()?["error"] != nil)
        // /images cannot carry it: answered normally.
        let images = try post(server, "/images", json(["model": "google/gemini-2.5-flash-image", "prompt": "#fake:fault=error200bare502"]))
        #expect(images.status == 200)
        #expect((images.json()?["data"] as? [Any])?.count == 1)
    }
}
