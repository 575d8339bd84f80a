import FakeOpenRouter
import Foundation

/// Starts a fake on a free loopback port; the caller stops it (or lets it deinit).
func startServer(_ configure: (inout FakeConfiguration) -> Void = { _ in }) throws -> FakeOpenRouterServer {
    var config = FakeConfiguration()
    configure(&config)
    let server = FakeOpenRouterServer(configuration: config)
    try server.start()
    return server
}

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

/// What a PNG file says about itself, with every chunk CRC checked independently of zlib.
struct PNGInfo {
    let width: Int
    let height: Int
    let bitDepth: Int
    let colorType: Int
    let chunkTypes: [String]
    let crcsValid: Bool
}

func parsePNG(_ bytes: [UInt8]) -> PNGInfo? {
    guard bytes.count > 33, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    var offset = 8
    var types: [String] = []
    var valid = true
    while offset + 12 <= bytes.count {
        let length = u32(offset)
        guard offset + 12 + length <= bytes.count else { return nil }
        types.append(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self))
        if crc32(bytes[(offset + 4)..<(offset + 8 + length)]) != UInt32(u32(offset + 8 + length)) { valid = false }
        offset += 12 + length
    }
    return PNGInfo(
        width: u32(16), height: u32(20), bitDepth: Int(bytes[24]), colorType: Int(bytes[25]), chunkTypes: types,
        crcsValid: valid && offset == bytes.count)
}

private let crcTable: [UInt32] = (0..<256).map { index -> UInt32 in
    var value = UInt32(index)
    for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
    return value
}

func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// Runs a program to completion and captures its output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Writes bytes to a fresh temporary file.
func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("fake-openrouter-test-\(UUID().uuidString)\(suffix)")
    try Data(bytes).write(to: url)
    return url
}

/// ffmpeg decodes the file completely and reports nothing at error level.
func decodesCleanly(_ bytes: [UInt8], suffix: String) throws -> Bool {
    let url = try temporaryFile(bytes, suffix: suffix)
    defer { try? FileManager.default.removeItem(at: url) }
    let result = try run("/usr/bin/ffmpeg", ["-v", "error", "-i", url.path, "-f", "null", "-"])
    return result.status == 0 && result.stderr.isEmpty
}
