import FakeOpenRouter
import Foundation
import HTTP
import JSON
import OpenRouter
import Support
import Tasks
import Testing
import TestSupport

/// Issue 14, estimates that hold: `image_output`, else token prices times the typical tokens
/// of the resolution, else unknown; speech per character; and `plan` within 10% of the run.
@Suite struct EstimateTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theTypicalTokensTableAgreesWithTheFakesUsageFigures() throws {
        let server = try startFake()
        defer { server.stop() }
        let connection = try HTTPConnection()
        let cases = [
            ("google/gemini-2.5-flash-image", "1K"), ("google/gemini-3.1-flash-image-preview", "0.5K"),
            ("google/gemini-3.1-flash-image", "1K"), ("google/gemini-3.1-flash-image", "2K"),
            ("google/gemini-3.1-flash-image", "4K"), ("google/gemini-3-pro-image-preview", "2K"),
            ("google/gemini-3-pro-image-preview", "4K"),
        ]
        for (model, tier) in cases {
            let body: JSON = [
                "model": .string(model), "messages": [["role": "user", "content": "a fox"]], "modalities": ["image", "text"],
                "image_config": ["image_size": .string(tier)],
            ]
            let response = try connection.perform(HTTPRequest(
                method: .post, url: server.baseURL + "/chat/completions", headers: [("Authorization", "Bearer k"), ("Content-Type", "application/json")],
                body: JSONEncoding.encode(body)))
            let document = try response.body.withUnsafeBytes { try JSONEncoding.parse($0, source: "answer") }
            let tokens = document["usage"]?["completion_tokens_details"]?["image_tokens"]?.intValue
            #expect(tokens == Int64(CostEstimate.typicalTokens(model: model, tier: tier)), "\(model) \(tier)")
        }
    }

    @Test func imagesArePricedPerOutputImageOrPerTokenAndNeverAtTheInputImagePrice() {
        func model(_ id: String, _ pricing: [String: String]) -> ModelCatalog.Model {
            ModelCatalog.Model(id: id, outputModalities: ["image", "text"], voices: [], pricing: pricing)
        }
        let gemini = model("google/gemini-3.1-flash-image-preview", ["image": "0.0012", "image_token": "0.00006", "completion": "0.0000025"])
        #expect(abs(CostEstimate.perImage(gemini, tier: "0.5K")! - 0.045) < 1e-9)
        #expect(abs(CostEstimate.perImage(gemini, tier: "2K")! - 0.1008) < 1e-9)
        #expect(abs(CostEstimate.perImage(gemini, tier: "4K")! - 0.1512) < 1e-9)
        #expect(CostEstimate.perImage(model("black-forest-labs/flux.2-pro", ["image": "0.02", "image_output": "0.03"]), tier: "4K") == 0.03)
        #expect(CostEstimate.perImage(model("a/b", ["image": "0.02"]), tier: "1K") == nil)
        #expect(CostEstimate.tier(resolution: nil, size: "2048x1152") == "2K")
    }

    /// `plan --json` then `run --json` on the same folder: the estimate within 10% of the spend.
    func planAndRun(_ arguments: [String], in folder: TempFolder, server: FakeOpenRouterServer) throws -> (estimate: Double, spent: Double) {
        let planned = try runCLI(["plan", "--json"] + arguments, environment: runEnvironment, in: folder.path)
        #expect(planned.status == 0, "\(planned.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.stdout.utf8)) as? [String: Any])
        #expect(plan["unpricedRequests"] as? Int == 0)
        let ran = try runCLI(["run", "--json", "--base-url", server.baseURL] + arguments, environment: runEnvironment, in: folder.path)
        #expect(ran.status == 0, "\(ran.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ran.stdout.utf8)) as? [String: Any])
        let spent = try #require((report["totals"] as? [String: Any])?["cost"] as? Double)
        // The report and the closing table put estimate and spend side by side, per model.
        let models = try #require(report["models"] as? [String: [String: Double]])
        #expect(!models.isEmpty)
        for (model, figures) in models {
            let (estimated, paid) = (figures["estimated"] ?? -1, figures["spent"] ?? 0)
            #expect(abs(estimated - paid) <= 0.1 * paid, "\(model): estimated \(estimated), spent \(paid)")
        }
        #expect(ran.stderr.contains("estimated") && ran.stderr.contains("spent"), "\(ran.stderr)")
        return (try #require(plan["estimatedCost"] as? Double), spent)
    }

    @Test func planIsWithinTenPercentOfTheRunForTheDemoJobs() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        try FileManager.default.copyItem(atPath: Self.repository.path + "/jobs", toPath: folder.path + "/jobs")
        let (estimate, spent) = try planAndRun(["jobs", "--output-root", "out"], in: folder, server: server)
        #expect(spent > 0)
        #expect(abs(estimate - spent) <= 0.1 * spent, "plan said \(estimate), the run spent \(spent)")
        // The demo jobs come back at the sizes their manifests ask for.
        #expect(pngSize(folder.path + "/out/gemini-hires/bookmark.png")! == (256, 1024))
        #expect(pngSize(folder.path + "/out/gemini-hires/city-night.png")! == (3072, 1344))
    }

    @Test func planIsWithinTenPercentOfTheRunForAMixedBatch() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"name": "mixed", "tasks": [
              {"id": "gem", "prompt": "a lake", "model": "google/gemini-3.1-flash-image", "resolution": ["1K", "2K", "4K"], "aspectRatio": "1:1"},
              {"id": "pro", "prompt": "a lake", "model": "google/gemini-3-pro-image-preview", "resolution": "2K", "count": 2},
              {"id": "flux", "prompt": "a lake", "model": "black-forest-labs/flux.2-pro", "aspectRatio": "16:9", "count": 2},
              {"id": "gpt", "api": "auto", "prompt": "a lake", "model": "openai/gpt-image-2", "count": 3},
              {"id": "say", "type": "tts", "model": "openai/gpt-4o-mini-tts-2025-12-15", "voice": "nova",
               "text": "The lake was still. The keeper rowed out at dawn, counting the strokes, and the mist closed behind him."},
              {"id": "kokoro", "type": "tts", "text": "A short line for the default voice."}
            ]}
            """)
        let (estimate, spent) = try planAndRun(["m.json", "--output-root", "out"], in: folder, server: server)
        #expect(spent > 0.5)
        #expect(abs(estimate - spent) <= 0.1 * spent, "plan said \(estimate), the run spent \(spent)")
    }
}
