import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("Reference images the fake received")
struct ReceivedImagesTests {
    private func dataURL(_ bytes: [UInt8]) -> String { "data:image/png;base64," + Data(bytes).base64EncodedString() }

    @Test("a chat request's data-URL images come back decoded, in order; URLs are left out")
    func chatParts() throws {
        let server = try startServer()
        defer { server.stop() }
        let first: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(0..<200).map { UInt8($0) }
        let second: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 9, count: 77)
        let content: [[String: Any]] = [
            ["type": "text", "text": "combine them"],
            ["type": "image_url", "image_url": ["url": dataURL(first)]],
            ["type": "image_url", "image_url": ["url": "https://example.com/x.png"]],
            ["type": "image_url", "image_url": ["url": dataURL(second)]],
        ]
        let result = try post(server, "/chat/completions", chatBody(content: content))
        #expect(result.status == 200)
        let request = try #require(server.requests().last { $0.path == "/chat/completions" })
        #expect(request.referenceImages == [first, second])
    }

    @Test("/images input_references come back decoded; a request without images has none")
    func imagesReferences() throws {
        let server = try startServer()
        defer { server.stop() }
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 3, count: 50)
        let body = try JSONSerialization.data(withJSONObject: [
            "model": "google/gemini-2.5-flash-image", "prompt": "edit it",
            "input_references": [["type": "image_url", "image_url": ["url": "data:image/jpeg;base64," + Data(bytes).base64EncodedString()]]],
        ])
        _ = try post(server, "/images", String(decoding: body, as: UTF8.self))
        _ = try post(server, "/chat/completions", chatBody())
        let requests = server.requests()
        #expect(requests.first { $0.path == "/images" }?.referenceImages == [bytes])
        #expect(requests.last { $0.path == "/chat/completions" }?.referenceImages == [])
    }
}
