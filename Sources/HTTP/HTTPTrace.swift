import Support

/// The `--verbose` trace: one line for each request sent and one for each answer (or
/// failure), so a user can see what goes over the wire without a proxy.
///
/// It never shows a secret: the `Authorization` header's value is not printed at all, and
/// every key it was given is replaced by `[redacted]` in anything it prints, request bodies
/// and error bodies included. Image payloads are not printed: bodies are cut short.
public final class HTTPTrace: Sendable {
    private let secrets: [String]
    private let write: @Sendable (String) -> Void
    /// Characters of a body shown before it is cut.
    package static let bodyPreview = 300

    public init(secrets: [String], write: @escaping @Sendable (String) -> Void) {
        // Longest first: a key that begins with another key must go whole.
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        self.write = write
    }

    package func sent(_ request: HTTPRequest) {
        var line = "> \(request.method.rawValue) \(request.url)"
        for header in request.headers {
            let value = header.name.lowercased() == "authorization" ? "[redacted]" : header.value
            line += " | \(header.name): \(value)"
        }
        if !request.body.isEmpty {
            line += " | body \(request.body.count) bytes: " + preview(request.body)
        }
        write(redact(line))
    }

    package func received(_ response: HTTPResponseHead, body: ByteArray, for request: HTTPRequest, seconds: Double) {
        var line = "< \(response.status) \(request.method.rawValue) \(request.url) in \(Self.format(seconds)) s, \(body.count) bytes"
        for name in ["content-type", "x-generation-id", "retry-after"] {
            if let value = response.header(name) { line += " | \(name): \(value)" }
        }
        if response.status >= 300 { line += " | body: " + body.withUnsafeBytes { preview($0) } }
        write(redact(line))
    }

    package func failed(_ error: HTTPError, for request: HTTPRequest, seconds: Double) {
        write(redact("< failed \(request.method.rawValue) \(request.url) after \(Self.format(seconds)) s: \(error.description)"))
    }

    /// `text` with every secret replaced.
    package func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacing($1, with: "[redacted]") }
    }

    /// The start of a body, redacted before it is cut (a key across the cut must not leave
    /// its first half behind).
    private func preview<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let window = bytes.prefix(Self.bodyPreview + (secrets.first?.utf8.count ?? 0))
        let text = redact(String(decoding: window, as: UTF8.self)).map { $0.isNewline ? " " : $0 }
        return String(text.prefix(Self.bodyPreview)) + (bytes.count > Self.bodyPreview ? "…" : "")
    }

    private static func format(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - String(millis % 1000).count))\(millis % 1000)"
    }
}
