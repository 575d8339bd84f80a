import Support

/// A string with `{name}` placeholders (`{{` and `}}` stand for literal braces), as used in
/// prompts, ids and output names.
package struct Template: Sendable {
    package enum Piece: Sendable { case literal(String), placeholder(String) }
    package let pieces: [Piece]

    /// Why a template cannot be read.
    package struct SyntaxError: Error { let message: String }

    /// The template as written: literal text, and each placeholder in braces.
    package var sourceText: String {
        pieces.map { piece in
            switch piece {
            case .literal(let text): text
            case .placeholder(let name): "{" + name + "}"
            }
        }.joined()
    }

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
        pieces.lazy.compactMap { piece in
            if case .placeholder(let name) = piece { return name }
            return nil
        }.uniqued()
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

package func isASCIILetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
package func isASCIIDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
