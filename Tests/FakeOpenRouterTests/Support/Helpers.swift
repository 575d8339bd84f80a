import FakeOpenRouter
import Foundation

// Requests to the fake over the raw client, and reading its answers. Starting the fake,
// the PNG parser and child processes are shared with MediaBatchTests in TestSupport.

/// One request on a fresh connection.
func send(
    _ server: FakeOpenRouterServer, _ method: String, _ path: String, body: String = "", key: String? = "test-key",
    headers: [(String, String)] = []
) throws -> HTTPResult {
    let connection = try RawHTTPConnection(port: server.port)
    connection.send(method, path, body: Array(body.utf8), key: key, headers: headers)
    return try connection.readResponse()
}

func post(_ server: FakeOpenRouterServer, _ path: String, _ body: String, key: String? = "test-key") throws -> HTTPResult {
    try send(server, "POST", "/api/v1" + path, body: body, key: key)
}

func get(_ server: FakeOpenRouterServer, _ path: String, key: String? = "test-key") throws -> HTTPResult {
    try send(server, "GET", "/api/v1" + path, key: key)
}

/// A JSON text from a Foundation value (so tests never hand-escape).
func json(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

func chatBody(
    model: String = "google/gemini-2.5-flash-image", prompt: String = "A watercolor fox",
    modalities: [String]? = ["image", "text"], imageConfig: [String: Any]? = nil, content: Any? = nil
) -> String {
    var body: [String: Any] = [
        "model": model, "messages": [["role": "user", "content": content ?? prompt]],
    ]
    if let modalities { body["modalities"] = modalities }
    if let imageConfig { body["image_config"] = imageConfig }
    return json(body)
}

/// The images of a chat completion: (MIME type from the data URL, decoded bytes).
func chatImages(_ result: HTTPResult) -> [(mediaType: String, bytes: [UInt8])] {
    guard let object = result.json(), let choices = object["choices"] as? [[String: Any]],
        let message = choices.first?["message"] as? [String: Any],
        let images = message["images"] as? [[String: Any]]
    else { return [] }
    return images.compactMap { image in
        guard let url = (image["image_url"] as? [String: Any])?["url"] as? String, url.hasPrefix("data:"),
            let comma = url.firstIndex(of: ","), let semicolon = url.firstIndex(of: ";"),
            let data = Data(base64Encoded: String(url[url.index(after: comma)...]))
        else { return nil }
        return (String(url[url.index(url.startIndex, offsetBy: 5)..<semicolon]), Array(data))
    }
}

func firstChoice(_ result: HTTPResult) -> [String: Any]? {
    (result.json()?["choices"] as? [[String: Any]])?.first
}
