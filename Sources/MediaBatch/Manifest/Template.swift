/// A string with `{name}` placeholders (`{{` and `}}` stand for literal braces), as used in
/// prompts, ids and output names.
struct Template: Sendable {
    enum Piece: Sendable { case literal(String), placeholder(String) }
    let pieces: [Piece]

    /// Why a template cannot be read.
    struct SyntaxError: Error { let message: String }

    init(_ text: String) throws(SyntaxError) {
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            let next = text.index(after: index)
            if char == "{" {
                if next < text.endIndex, text[next] == "{" {
                    literal.append("{")
                    index = text.index(after: next)
                    continue
                }
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw SyntaxError(message: "unclosed '{' (write '{{' for a literal brace)")
                }
                let name = String(text[next..<close])
                guard Template.isIdentifier(name) else {
                    throw SyntaxError(message: "'{\(name)}' is not a placeholder name (write '{{' for a literal brace)")
                }
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(.placeholder(name))
                index = text.index(after: close)
            } else if char == "}" {
                if next < text.endIndex, text[next] == "}" {
                    literal.append("}")
                    index = text.index(after: next)
                    continue
                }
                throw SyntaxError(message: "unmatched '}' (write '}}' for a literal brace)")
            } else {
                literal.append(char)
                index = next
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// Placeholder names in order of first use.
    var names: [String] {
        var seen: [String] = []
        for case .placeholder(let name) in pieces where !seen.contains(name) { seen.append(name) }
        return seen
    }

    func render(_ values: [String: String]) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .placeholder(let name): out += values[name] ?? "{\(name)}"
            }
        }
        return out
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
    }
}

/// Turns user text into names that are safe on every file system.
enum PortableName {
    static let maxLength = 120

    /// Keeps `[A-Za-z0-9._-]`, turns anything else into `-`, collapses and trims.
    static func sanitise(_ text: String) -> String {
        var out = ""
        var lastWasDash = false
        for scalar in text.unicodeScalars {
            let keep = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
            if keep && scalar != "-" {
                out.unicodeScalars.append(scalar)
                lastWasDash = false
            } else if !lastWasDash {
                out.append("-")
                lastWasDash = true
            }
        }
        var trimmed = Substring(out)
        while let first = trimmed.first, first == "-" || first == "." { trimmed.removeFirst() }
        while let last = trimmed.last, last == "-" || last == "." { trimmed.removeLast() }
        return String(trimmed.prefix(maxLength))
    }

    /// A relative path of sanitised components, or nil when it is absolute, empty or climbs
    /// out with `..`.
    static func relativePath(_ text: String) -> String? {
        guard !text.hasPrefix("/"), !text.contains("\u{0}") else { return nil }
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
