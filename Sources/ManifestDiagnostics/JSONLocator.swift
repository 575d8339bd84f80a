/// Finds the line on which a value sits in JSON text. jansson keeps no positions for parsed
/// values, so when validation reports a field this small structural scan walks the text to
/// it. It runs only for errors, never on the happy path.
package enum JSONLocator {
    /// Where element `index` of the top-level array `key` (a manifest's `tasks`) starts.
    /// Problems are reported entry by entry, in order, so the next lookup in that array goes
    /// on from here instead of from the top of the file: locating every problem of a big
    /// manifest costs one pass over it, not one pass per problem.
    package struct Bookmark {
        package let key: String
        package let index: Int
        package let position: Int
        package let line: Int
    }

    /// 1-based line of the value at `path` in `text`, or nil when the path is not there.
    package static func line(of path: FieldPath, in text: [UInt8]) -> Int? {
        var bookmark: Bookmark?
        return line(of: path, in: text, bookmark: &bookmark)
    }

    /// The same, starting from (and moving) `bookmark` when the path lies in its array.
    package static func line(of path: FieldPath, in text: [UInt8], bookmark: inout Bookmark?) -> Int? {
        var scanner = Scanner(text: text)
        var components = path.components[...]
        if components.count >= 2, case .key(let key) = components[components.startIndex],
            case .index(let target) = components[components.startIndex + 1],
            let mark = bookmark, mark.key == key, mark.index <= target
        {
            scanner.position = mark.position
            scanner.line = mark.line
            guard scanner.skipElements(target - mark.index) else { return nil }
            bookmark = Bookmark(key: key, index: target, position: scanner.position, line: scanner.line)
            components = components.dropFirst(2)
        } else {
            scanner.skipWhitespace()
        }
        for (offset, component) in components.enumerated() {
            switch component {
            case .key(let key):
                guard scanner.peek == UInt8(ascii: "{") else { return nil }
                scanner.advance()
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek == UInt8(ascii: "\"") else { return nil }
                    let name = scanner.readString()
                    scanner.skipWhitespace()
                    guard scanner.peek == UInt8(ascii: ":") else { return nil }
                    scanner.advance()
                    scanner.skipWhitespace()
                    if name == key { break }
                    scanner.skipValue()
                    scanner.skipWhitespace()
                    guard scanner.peek == UInt8(ascii: ",") else { return nil }
                    scanner.advance()
                }
            case .index(let target):
                guard scanner.peek == UInt8(ascii: "[") else { return nil }
                scanner.advance()
                scanner.skipWhitespace()
                guard scanner.skipElements(target) else { return nil }
                // An element of a top-level array: remember where it starts.
                if offset == 1, components.count == path.components.count, case .key(let key) = path.components[0] {
                    bookmark = Bookmark(key: key, index: target, position: scanner.position, line: scanner.line)
                }
            }
        }
        return scanner.line
    }

    private struct Scanner {
        package let text: [UInt8]
        package var position = 0
        package var line = 1

        package init(text: [UInt8]) { self.text = text }

        package var peek: UInt8? { position < text.count ? text[position] : nil }

        package mutating func advance() {
            if position < text.count {
                if text[position] == UInt8(ascii: "\n") { line += 1 }
                position += 1
            }
        }

        package mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { advance() }
        }

        package mutating func readString() -> String {
            advance()
            var bytes: [UInt8] = []
            while let byte = peek, byte != UInt8(ascii: "\"") {
                if byte == UInt8(ascii: "\\") { advance() }
                if let escaped = peek { bytes.append(escaped) }
                advance()
            }
            advance()
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Skips `count` array elements and their commas, stopping at the next element.
        package mutating func skipElements(_ count: Int) -> Bool {
            for _ in 0..<count {
                skipWhitespace()
                skipValue()
                skipWhitespace()
                guard peek == UInt8(ascii: ",") else { return false }
                advance()
            }
            skipWhitespace()
            return true
        }

        package mutating func skipValue() {
            guard let byte = peek else { return }
            switch byte {
            case UInt8(ascii: "\""):
                _ = readString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                repeat {
                    guard let current = peek else { return }
                    if current == UInt8(ascii: "\"") { _ = readString(); continue }
                    if current == UInt8(ascii: "{") || current == UInt8(ascii: "[") { depth += 1 }
                    if current == UInt8(ascii: "}") || current == UInt8(ascii: "]") { depth -= 1 }
                    advance()
                } while depth > 0
            default:
                while let current = peek, !",}] \n\r\t".utf8.contains(current) { advance() }
            }
        }
    }
}
