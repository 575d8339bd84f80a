import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("POST /images and GET /images/models")
struct ImagesEndpointTests {
    private func images(_ result: HTTPResult) -> [(mediaType: String?, bytes: [UInt8])] {
        (result.json()?["data"] as? [[String: Any]] ?? []).compactMap { item in
            guard let b64 = item["b64_json"] as? String, let data = Data(base64Encoded: b64) else { return nil }
            return (item["media_type"] as? String, Array(data))
        }
    }

    @Test("n images at resolution and aspect ratio, with usage.cost")
    func generate() throws {
        let server = try startServer()
        defer { server.stop() }
        let body = json([
            "model": "google/gemini-3.1-flash-image-preview", "prompt": "a red panda", "n": 2,
            "aspect_ratio": "16:9", "resolution": "2K",
        ])
        let result = try post(server, "/images", body)
        #expect(result.status == 200)
        let object = try #require(result.json())
        #expect(object["created"] is Int)
        let items = images(result)
        #expect(items.count == 2)
        for item in items {
            #expect(item.mediaType == "image/png")
            let png = try #require(parsePNG(item.bytes))
            #expect(png.width == 2688 && png.height == 1536 && png.crcsValid)
        }
        #expect((object["usage"] as? [String: Any])?["cost"] as? Double == 0.2016)  // 2 × 1,680 tokens × $60/M
        #expect(result.header("X-Generation-Id")?.hasPrefix("gen-") == true)
    }

    @Test("Explicit size is authoritative; contradictions are 400")
    func sizes() throws {
        let server = try startServer()
        defer { server.stop() }
        func ask(_ fields: [String: Any]) throws -> HTTPResult {
            var body: [String: Any] = ["model": "bytedance-seed/seedream-4.5", "prompt": "sizes"]
            body.merge(fields) { $1 }
            return try post(server, "/images", json(body))
        }
        let explicit = try ask(["size": "2048x1152", "aspect_ratio": "16:9"])
        #expect(explicit.status == 200)
        let png = try #require(images(explicit).first.flatMap { parsePNG($0.bytes) })
        #expect(png.width == 2048 && png.height == 1152)
        #expect(try ask(["size": "2048x2048", "aspect_ratio": "16:9"]).status == 400)
        #expect(try ask(["size": "2048x1152", "resolution": "1K"]).status == 400)
        #expect(try ask(["size": "4K", "resolution": "2K"]).status == 400)
        #expect(try ask(["size": "huge"]).status == 400)
        #expect(try ask(["resolution": "3K"]).status == 400)
        #expect(try ask(["aspect_ratio": "7:5"]).status == 400)
        #expect(try ask(["n": 11]).status == 400)
        #expect(try ask(["n": 0]).status == 400)
        #expect(try ask(["prompt": ""]).status == 400)
        #expect(try ask(["quality": "ultra"]).status == 400)
        #expect(try ask(["background": "transparent", "output_format": "jpeg"]).status == 400)
        let jpeg = try ask(["output_format": "jpeg"])
        #expect(images(jpeg).first?.mediaType == "image/jpeg")
        #expect(images(jpeg).first.map { Array($0.bytes.prefix(2)) } == [0xFF, 0xD8])
    }

    @Test("input_references must be image_url objects, not bare strings")
    func inputReferences() throws {
        let server = try startServer()
        defer { server.stop() }
        let reference: [String: Any] = ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]]
        let good = try post(server, "/images", json(["model": "openai/gpt-5-image", "prompt": "edit", "input_references": [reference]]))
        #expect(good.status == 200)
        let bare = try post(
            server, "/images", json(["model": "openai/gpt-5-image", "prompt": "edit", "input_references": ["data:image/png;base64,iVBORw0KGgo="]]))
        #expect(bare.status == 400)
    }

    @Test("#fake:fail is a 502 that is not billed")
    func failedGeneration() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try post(server, "/images", json(["model": "black-forest-labs/flux.2-pro", "prompt": "doomed #fake:fail"]))
        #expect(result.status == 502)
        #expect((result.json()?["error"] as? [String: Any])?["code"] as? Int == 502)
        let key = try get(server, "/key")
        #expect(((key.json()?["data"] as? [String: Any])?["usage"] as? Double) == 0)
    }

    @Test("GET /images/models lists typed supported_parameters; endpoints per model")
    func models() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try get(server, "/images/models")
        #expect(result.status == 200)
        let data = try #require(result.json()?["data"] as? [[String: Any]])
        #expect(data.count == 12)  // every image model but the auto router and Grok Imagine (chat only)
        let flash = try #require(data.first { $0["id"] as? String == "google/gemini-3.1-flash-image-preview" })
        let parameters = try #require(flash["supported_parameters"] as? [String: Any])
        let resolution = try #require(parameters["resolution"] as? [String: Any])
        #expect(resolution["type"] as? String == "enum")
        #expect(resolution["values"] as? [String] == ["512", "1K", "2K", "4K"])
        #expect((parameters["n"] as? [String: Any])?["type"] as? String == "range")
        #expect((parameters["seed"] as? [String: Any])?["type"] as? String == "boolean")
        for model in data {
            for key in ["id", "name", "description", "created", "architecture", "supported_parameters", "supports_streaming", "endpoints"] {
                #expect(model[key] != nil, "\(key) missing in \(model["id"] ?? "?")")
            }
        }
        let endpoints = try get(server, "/images/models/bytedance-seed/seedream-4.5/endpoints")
        #expect(endpoints.status == 200)
        #expect((endpoints.json()?["endpoints"] as? [Any])?.count == 1)
        #expect(try get(server, "/images/models/acme/none/endpoints").status == 404)
    }
}
