import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("POST /chat/completions")
struct ChatCompletionsTests {
    @Test("1K 16:9 is a valid 1344x768 RGB PNG with correct CRCs, billed per image")
    func sixteenByNineAt1K() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try post(server, "/chat/completions", chatBody(imageConfig: ["aspect_ratio": "16:9"]))
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "application/json")
        let images = chatImages(result)
        #expect(images.count == 1)
        let first = try #require(images.first)
        let png = try #require(parsePNG(first.bytes))
        #expect(png.width == 1344 && png.height == 768)
        #expect(png.bitDepth == 8 && png.colorType == 2)
        #expect(png.crcsValid)
        #expect(png.chunkTypes == ["IHDR", "IDAT", "IEND"])
        #expect(try decodesCleanly(images[0].bytes, suffix: ".png"))

        let object = try #require(result.json())
        #expect((object["id"] as? String)?.hasPrefix("gen-") == true)
        #expect(object["object"] as? String == "chat.completion")
        #expect(object["model"] as? String == "google/gemini-2.5-flash-image")
        #expect(object["provider"] as? String == "Google")
        let choice = try #require(firstChoice(result))
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["native_finish_reason"] as? String == "STOP")
        let usage = try #require(object["usage"] as? [String: Any])
        #expect(usage["cost"] as? Double == 0.039)
        #expect(usage["prompt_tokens"] is Int && usage["completion_tokens"] is Int && usage["total_tokens"] is Int)
    }

    @Test("2K doubles both sides on Gemini, 4K quadruples, 0.5K halves on 3.1 Flash")
    func sizeTiers() throws {
        let server = try startServer()
        defer { server.stop() }
        let cases: [(String, String, String, Int, Int)] = [
            ("google/gemini-3-pro-image-preview", "16:9", "2K", 2688, 1536),
            ("google/gemini-3.1-flash-image-preview", "1:1", "4K", 4096, 4096),
            ("google/gemini-3.1-flash-image-preview", "21:9", "0.5K", 768, 336),
            ("google/gemini-3.1-flash-image-preview", "1:4", "1K", 512, 2048),
        ]
        for (model, ratio, size, width, height) in cases {
            let result = try post(
                server, "/chat/completions",
                chatBody(model: model, prompt: "tier \(size)", imageConfig: ["aspect_ratio": ratio, "image_size": size]))
            #expect(result.status == 200, "\(model) \(ratio) \(size): \(result.text.prefix(200))")
            let png = try #require(chatImages(result).first.flatMap { parsePNG($0.bytes) })
            #expect(png.width == width && png.height == height, "\(model) \(ratio) \(size)")
            #expect(png.crcsValid)
        }
        // A 4K Gemini 3 Pro image costs more than a 1K one.
        let small = try post(server, "/chat/completions", chatBody(model: "google/gemini-3-pro-image-preview", imageConfig: ["image_size": "1K"]))
        let large = try post(server, "/chat/completions", chatBody(model: "google/gemini-3-pro-image-preview", imageConfig: ["image_size": "4K"]))
        let smallCost = try #require((small.json()?["usage"] as? [String: Any])?["cost"] as? Double)
        let largeCost = try #require((large.json()?["usage"] as? [String: Any])?["cost"] as? Double)
        #expect(largeCost > smallCost)
    }

    @Test("image_config is honoured where the model entry lists it: Flux Pro follows the hint, Flux Flex ignores it")
    func imageConfigOnlyWhereListed() throws {
        let server = try startServer()
        defer { server.stop() }
        let hint: [String: Any] = ["aspect_ratio": "3:2", "image_size": "2K"]
        let pro = try post(server, "/chat/completions", chatBody(model: "black-forest-labs/flux.2-pro", modalities: ["image"], imageConfig: hint))
        #expect(pro.status == 200)
        let large = try #require(chatImages(pro).first.flatMap { parsePNG($0.bytes) })
        #expect(large.width == 2496 && large.height == 1664)
        #expect(pro.json()?["provider"] as? String == "Black Forest Labs")
        let flex = try post(server, "/chat/completions", chatBody(model: "black-forest-labs/flux.2-flex", modalities: ["image"], imageConfig: hint))
        #expect(flex.status == 200)
        let square = try #require(chatImages(flex).first.flatMap { parsePNG($0.bytes) })
        #expect(square.width == 1024 && square.height == 1024)
    }

    @Test("Image-only models reject a text modality with 404; modalities without image give text only")
    func modalities() throws {
        let server = try startServer()
        defer { server.stop() }
        let flux = try post(server, "/chat/completions", chatBody(model: "black-forest-labs/flux.2-pro"))
        #expect(flux.status == 404)
        let error = try #require(flux.json()?["error"] as? [String: Any])
        #expect(error["code"] as? Int == 404)
        #expect(error["message"] as? String == "No endpoints found that support the requested output modalities: image, text")

        let textOnly = try post(server, "/chat/completions", chatBody(modalities: ["text"]))
        #expect(textOnly.status == 200)
        #expect(chatImages(textOnly).isEmpty)
        #expect(((firstChoice(textOnly)?["message"] as? [String: Any])?["content"] as? String)?.isEmpty == false)
    }

    @Test("Validation: unknown model, bad aspect ratio or size, invalid JSON")
    func validation() throws {
        let server = try startServer()
        defer { server.stop() }
        let unknown = try post(server, "/chat/completions", chatBody(model: "acme/imaginary"))
        #expect(unknown.status == 400)
        #expect((unknown.json()?["error"] as? [String: Any])?["message"] as? String == "acme/imaginary is not a valid model ID")

        let extreme = try post(server, "/chat/completions", chatBody(imageConfig: ["aspect_ratio": "1:4"]))
        #expect(extreme.status == 400)
        let odd = try post(server, "/chat/completions", chatBody(imageConfig: ["aspect_ratio": "7:3"]))
        #expect(odd.status == 400)
        let halfK = try post(server, "/chat/completions", chatBody(model: "google/gemini-3-pro-image-preview", imageConfig: ["image_size": "0.5K"]))
        #expect(halfK.status == 400)
        let lowercase = try post(server, "/chat/completions", chatBody(imageConfig: ["image_size": "2k"]))
        #expect(lowercase.status == 400)

        let broken = try post(server, "/chat/completions", "{\"model\": ")
        #expect(broken.status == 400)
        #expect(broken.header("Content-Type") == "application/json")
        #expect((broken.json()?["error"] as? [String: Any])?["code"] as? Int == 400)

        // Unknown image_config keys are model-specific and ignored.
        let extra = try post(server, "/chat/completions", chatBody(imageConfig: ["aspect_ratio": "1:1", "style": "vivid"]))
        #expect(extra.status == 200)
    }

    @Test("openrouter/auto answers as gemini-2.5-flash-image")
    func autoRouter() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try post(server, "/chat/completions", chatBody(model: "openrouter/auto"))
        #expect(result.status == 200)
        #expect(result.json()?["model"] as? String == "google/gemini-2.5-flash-image")
        #expect(chatImages(result).count == 1)
    }

    @Test("Content parts with a reference image; different prompts give different pictures")
    func contentPartsAndSeeds() throws {
        let server = try startServer()
        defer { server.stop() }
        let parts: [[String: Any]] = [
            ["type": "text", "text": "Make it blue"],
            ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]],
        ]
        let edited = try post(server, "/chat/completions", chatBody(content: parts))
        #expect(edited.status == 200)
        let other = try post(server, "/chat/completions", chatBody(prompt: "Something else entirely"))
        let again = try post(server, "/chat/completions", chatBody(prompt: "Something else entirely"))
        let a = try #require(chatImages(edited).first?.bytes)
        let b = try #require(chatImages(other).first?.bytes)
        #expect(a != b)
        #expect(chatImages(again).first?.bytes == b)

        let badPart = try post(server, "/chat/completions", chatBody(content: [["type": "image_url", "image_url": "not-an-object"]]))
        #expect(badPart.status == 400)
    }

    @Test("Directives: no-image, images=N, jpeg, mime-mismatch, status")
    func directives() throws {
        let server = try startServer()
        defer { server.stop() }
        let refused = try post(server, "/chat/completions", chatBody(prompt: "forbidden #fake:no-image"))
        #expect(refused.status == 200)
        #expect(chatImages(refused).isEmpty)
        let choice = try #require(firstChoice(refused))
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["native_finish_reason"] as? String == "IMAGE_SAFETY")
        #expect((choice["message"] as? [String: Any])?["content"] as? String == "I can't generate that image.")
        #expect((choice["message"] as? [String: Any])?["images"] == nil)

        let three = try post(server, "/chat/completions", chatBody(prompt: "triple #fake:images=3"))
        let images = chatImages(three)
        #expect(images.count == 3)
        #expect(Set(images.map(\.bytes)).count == 3)
        #expect((three.json()?["usage"] as? [String: Any])?["cost"] as? Double == 0.117)

        let jpeg = try post(server, "/chat/completions", chatBody(prompt: "photo #fake:jpeg", imageConfig: ["aspect_ratio": "4:3"]))
        let jpegImage = try #require(chatImages(jpeg).first)
        #expect(jpegImage.mediaType == "image/jpeg")
        #expect(Array(jpegImage.bytes.prefix(3)) == [0xFF, 0xD8, 0xFF])
        #expect(Array(jpegImage.bytes.suffix(2)) == [0xFF, 0xD9])
        #expect(try decodesCleanly(jpegImage.bytes, suffix: ".jpg"))

        let mismatch = try post(server, "/chat/completions", chatBody(prompt: "liar #fake:mime-mismatch"))
        let mismatched = try #require(chatImages(mismatch).first)
        #expect(mismatched.mediaType == "image/jpeg")
        #expect(parsePNG(mismatched.bytes) != nil)

        let unavailable = try post(server, "/chat/completions", chatBody(prompt: "busy #fake:status=503"))
        #expect(unavailable.status == 503)
        #expect(unavailable.header("Retry-After") != nil)
        #expect((unavailable.json()?["error"] as? [String: Any])?["code"] as? Int == 503)
        let forbidden = try post(server, "/chat/completions", chatBody(prompt: "bad #fake:status=403"))
        #expect(forbidden.status == 403)
    }

    @Test("Slash escaping follows the configuration")
    func slashEscaping() throws {
        let escaped = try startServer { $0.escapeSlashes = true }
        defer { escaped.stop() }
        let plain = try startServer { $0.escapeSlashes = false }
        defer { plain.stop() }
        let withEscapes = try post(escaped, "/chat/completions", chatBody())
        let without = try post(plain, "/chat/completions", chatBody())
        #expect(withEscapes.text.contains("data:image\\/png;base64,"))
        #expect(without.text.contains("data:image/png;base64,"))
        #expect(!without.text.contains("\\/"))
        #expect(chatImages(withEscapes).first?.bytes == chatImages(without).first?.bytes)
    }
}
