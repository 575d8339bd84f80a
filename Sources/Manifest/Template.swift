/// A string with `{name}` placeholders (`{{` and `}}` stand for literal braces), as used in
/// prompts, ids and output names.
package struct Template: Sendable {
    package enum Piece: Sendable { case literal(String), placeholder(String) }
    package let pieces: [Piece]

    /// Why a template cannot be read.
    package struct SyntaxError: Error { let message: String }

    /// A template that is all literal text.
    package init(literal text: String) { pieces = text.isEmpty ? [] : [.literal(text)] }

    package init(_ text: String) throws(SyntaxError) {
        let utf8 = Array(text.utf8)
        guard utf8.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") }) else {
            pieces = text.isEmpty ? [] : [.literal(text)]
            return
        }
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        var index = 0
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(String(decoding: literal, as: UTF8.self))) }
            literal.removeAll()
        }
        while index < utf8.count {
            let byte = utf8[index]
            let next: UInt8? = index + 1 < utf8.count ? utf8[index + 1] : nil
            if byte == UInt8(ascii: "{") {
                if next == UInt8(ascii: "{") {
                    literal.append(byte)
                    index += 2
                    continue
                }
                guard let close = utf8[(index + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw SyntaxError(message: "unclosed '{' (write '{{' for a literal brace)")
                }
                let name = String(decoding: utf8[(index + 1)..<close], as: UTF8.self)
                guard Template.isIdentifier(name) else {
                    throw SyntaxError(message: "'{\(name)}' is not a placeholder name (write '{{' for a literal brace)")
                }
                flush()
                pieces.append(.placeholder(name))
                index = close + 1
            } else if byte == UInt8(ascii: "}") {
                guard next == UInt8(ascii: "}") else { throw SyntaxError(message: "unmatched '}' (write '}}' for a literal brace)") }
                literal.append(byte)
                index += 2
            } else {
                literal.append(byte)
                index += 1
            }
        }
        flush()
        self.pieces = pieces
    }

    /// Placeholder names in order of first use.
    package var names: [String] {
        var seen: [String] = []
        for case .placeholder(let name) in pieces where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// True for exactly `{id}`, the default output name.
    package var isIDOnly: Bool {
        if pieces.count == 1, case .placeholder("id") = pieces[0] { return true }
        return false
    }

    package func render(_ values: [String: String]) -> String {
        if pieces.count == 1, case .literal(let text) = pieces[0] { return text }
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .placeholder(let name): out += values[name] ?? "{\(name)}"
            }
        }
        return out
    }

    package static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || isASCIILetter($0) || isASCIIDigit($0) }
    }
}

/// Turns user text into names that are safe on every file system.
package enum PortableName {
    package static let maxLength = 120
    /// The longest output path accepted below the output root: far under PATH_MAX (4096)
    /// whatever the root, so a task never fails on a name after its request was paid for.
    package static let maxPathLength = 1024

    /// Keeps `[A-Za-z0-9._]`, turns runs of anything else (`-` included) into one `-`, and
    /// trims `-` and `.` from both ends. A multi-byte character becomes a single `-`.
    package static func sanitise(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var lastWasDash = false
        for byte in text.utf8 {
            if isASCIILetter(byte) || isASCIIDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") {
                out.append(byte)
                lastWasDash = false
            } else if !lastWasDash && (byte < 0x80 || byte >= 0xC0) {
                out.append(UInt8(ascii: "-"))
                lastWasDash = true
            }
        }
        var start = 0
        var end = out.count
        while start < end, out[start] == UInt8(ascii: "-") || out[start] == UInt8(ascii: ".") { start += 1 }
        while end > start, out[end - 1] == UInt8(ascii: "-") || out[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return String(decoding: out[start..<min(end, start + maxLength)], as: UTF8.self)
    }

    /// A relative path of sanitised components, or nil when it is absolute, empty, climbs
    /// out with `..` or is longer than `maxPathLength`.
    package static func relativePath(_ text: String) -> String? {
        guard let path = sanitisedPath(text), path.utf8.count <= maxPathLength else { return nil }
        return path
    }

    private static func sanitisedPath(_ text: String) -> String? {
        guard text.utf8.first != UInt8(ascii: "/"), !text.utf8.contains(0) else { return nil }
        if !text.utf8.contains(UInt8(ascii: "/")) {
            guard text != "." && text != ".." else { return nil }
            let clean = sanitise(text)
            return clean.isEmpty ? nil : clean
        }
        var components: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: true) {
            if raw == "." { continue }
            if raw == ".." { return nil }
            let clean = sanitise(String(raw))
            guard !clean.isEmpty else { return nil }
            components.append(clean)
        }
        return components.isEmpty ? nil : components.joined(separator: "/")
    }
}

package func isASCIILetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
package func isASCIIDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
