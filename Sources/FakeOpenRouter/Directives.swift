/// Test directives written inside a prompt (`#fake:no-image`, `#fake:images=3`,
/// `#fake:status=503`, ...). Only the fake reads them; a client passes prompts through
/// untouched, so tests can steer one task's outcome without configuring the server.
struct Directives: Sendable {
    /// 200 with a safety refusal and no image.
    var noImage = false
    /// Number of images in one response.
    var images: Int?
    /// Real JPEG bytes labelled image/jpeg.
    var jpeg = false
    /// The data URL (or media_type) says image/jpeg, the bytes are PNG.
    var mimeMismatch = false
    /// Answer with this HTTP error status and OpenRouter's error body.
    var status: Int?
    /// `/images`: a failed (unbilled) generation, 502.
    var fail = false

    init(_ text: String) {
        var rest = Substring(text)
        while let range = rest.range(of: "#fake:") {
            let after = rest[range.upperBound...]
            let end = after.firstIndex { $0.isWhitespace } ?? after.endIndex
            var token = after[..<end]
            while let last = token.last, ".,;:!?)]}\"'".contains(last) { token = token.dropLast() }
            apply(token.lowercased())
            rest = after[end...]
        }
    }

    private mutating func apply(_ token: String) {
        let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let value = parts.count > 1 ? parts[1] : nil
        switch name {
        case "no-image", "noimage": noImage = true
        case "images": images = value.flatMap { Int($0) }.map { min(max($0, 0), 10) }
        case "jpeg": jpeg = true
        case "mime-mismatch": mimeMismatch = true
        case "status": status = value.flatMap { Int($0) }.flatMap { (100...599).contains($0) ? $0 : nil }
        case "fail": fail = true
        default: break
        }
    }
}
