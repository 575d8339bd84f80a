/// Inline Markdown in one line turned into words: emphasis and strike marks go, code spans
/// keep their text, links keep their text, images their alt text, autolinks their address
/// without the scheme, HTML tags and comments vanish, entities and escapes become the
/// characters they stand for. Works on UTF-8 bytes; markup is ASCII.
enum MarkdownInline {
    static func spoken(_ line: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        append(line, into: &out)
        return String(decoding: squeezed(out), as: UTF8.self)
    }

    /// Written into the output where markup was taken out, read (and dropped) by `squeezed`.
    private static let removed: UInt8 = 0x00

    /// Spaces left where markup was: runs become one space, and a space that markup left
    /// before `.,;:!?` goes ("a <!-- x --> ." is "a."). A space the writer put there stays
    /// ("word :smile:").
    private static func squeezed(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var markupSinceWord = false
        for byte in bytes {
            if byte == removed {
                markupSinceWord = true
                continue
            }
            if byte == 0x20 {
                if out.last != 0x20 { out.append(byte) }
                continue
            }
            if markupSinceWord, [0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F].contains(byte), out.last == 0x20, out.count >= 2 { out.removeLast() }
            markupSinceWord = false
            out.append(byte)
        }
        return out
    }

    private static func append(_ line: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var index = line.startIndex
        let end = line.endIndex
        while index < end {
            let byte = line[index]
            // Every construct but plain text marks where markup went.
            if [0x5C, 0x60, 0x5B, 0x3C, 0x2A, 0x5F, 0x7E].contains(byte) || (byte == 0x21 && index + 1 < end && line[index + 1] == 0x5B) {
                out.append(removed)
            }
            switch byte {
            case removed:
                index += 1  // a NUL in the text says nothing

            case 0x5C:  // backslash: an escaped punctuation mark is itself
                if index + 1 < end, isASCIIPunctuation(line[index + 1]) {
                    out.append(line[index + 1])
                    index += 2
                } else {
                    index += 1  // a hard line break's backslash, or a lone one
                }
            case 0x60:  // code span
                let run = line[index...].prefix { $0 == 0x60 }.count
                if let close = closingBackticks(line, from: index + run, count: run) {
                    var content = line[(index + run)..<close]
                    if content.count >= 2, content.first == 0x20, content.last == 0x20 { content = content.dropFirst().dropLast() }
                    out.append(contentsOf: content)
                    index = close + run
                } else {
                    index += run  // unmatched backticks say nothing
                }
            case 0x2A, 0x5F, 0x7E:  // emphasis, strong, strikethrough
                let run = line[index...].prefix { $0 == byte }.count
                let before: UInt8? = index > line.startIndex ? line[index - 1] : nil
                let after: UInt8? = index + run < end ? line[index + run] : nil
                let spaceBefore = before.map(isSpace) ?? true
                let spaceAfter = after.map(isSpace) ?? true
                let keep: Bool
                if byte == 0x7E {
                    keep = run == 1  // ~~strike~~ goes; a lone tilde is text
                } else if spaceBefore && spaceAfter {
                    keep = true  // "5 * 3": not emphasis
                } else if byte == 0x5F {
                    keep = (before.map(isWordByte) ?? false) && (after.map(isWordByte) ?? false)  // snake_case
                } else {
                    keep = false
                }
                if keep { out.append(contentsOf: line[index..<(index + run)]) }
                index += run
            default:
                if let next = spokenMarkup(line, at: index, into: &out) {
                    index = next
                } else {
                    out.append(byte)
                    index += 1
                }
            }
        }
    }

    /// The image, link, footnote reference, autolink, tag, comment or entity that starts at
    /// `index`, spoken into `out`: the index after it, or nil when the byte there is text.
    private static func spokenMarkup(_ line: ArraySlice<UInt8>, at index: Int, into out: inout [UInt8]) -> Int? {
        let end = line.endIndex
        switch line[index] {
        case 0x21 where index + 1 < end && line[index + 1] == 0x5B:  // image
            return spokenLink(line, open: index + 1, into: &out)
        case 0x5B:  // link, footnote reference
            if index + 1 < end, line[index + 1] == 0x5E, let close = line[index...].firstIndex(of: 0x5D) { return close + 1 }
            return spokenLink(line, open: index, into: &out)
        case 0x3C:  // autolink, tag, comment
            guard let (next, words) = angle(line, at: index) else { return nil }
            out.append(contentsOf: words)
            return next
        case 0x26:  // entity
            guard let (next, character) = entity(line, at: index) else { return nil }
            out.append(contentsOf: character)
            return next
        default:
            return nil
        }
    }

    /// The link (or image) whose `[` is at `open`: its text is spoken, its address goes.
    private static func spokenLink(_ line: ArraySlice<UInt8>, open: Int, into out: inout [UInt8]) -> Int? {
        guard let link = linkAt(line, open: open) else { return nil }
        append(line[(open + 1)..<link.textEnd], into: &out)
        out.append(removed)  // the address went
        return link.end
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
    }

    private static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (byte >= 0x21 && byte <= 0x2F) || (byte >= 0x3A && byte <= 0x40) || (byte >= 0x5B && byte <= 0x60) || (byte >= 0x7B && byte <= 0x7E)
    }

    private static func closingBackticks(_ line: ArraySlice<UInt8>, from start: Int, count: Int) -> Int? {
        var index = start
        while index < line.endIndex {
            guard line[index] == 0x60 else {
                index += 1
                continue
            }
            let run = line[index...].prefix { $0 == 0x60 }.count
            if run == count { return index }
            index += run
        }
        return nil
    }

    /// `[text](destination "title")`, `[text][label]` or `[text][]` starting at `open`:
    /// where its text ends (the `]`) and where the whole link ends. A bracket with neither
    /// after it is not a link ("[sic]" stays).
    private static func linkAt(_ line: ArraySlice<UInt8>, open: Int) -> (textEnd: Int, end: Int)? {
        var depth = 0
        var index = open
        var close: Int?
        while index < line.endIndex {
            switch line[index] {
            case 0x5C: index += 1
            case 0x5B: depth += 1
            case 0x5D:
                depth -= 1
                if depth == 0 { close = index }
            default: break
            }
            if close != nil { break }
            index += 1
        }
        guard let close, close + 1 < line.endIndex else { return nil }
        let opener = line[close + 1]
        let closer: UInt8 = opener == 0x28 ? 0x29 : 0x5D
        guard opener == 0x28 || opener == 0x5B else { return nil }
        var level = 0
        index = close + 1
        while index < line.endIndex {
            let byte = line[index]
            if byte == 0x5C {
                index += 2
                continue
            }
            if byte == opener { level += 1 }
            if byte == closer {
                level -= 1
                if level == 0 { return (close, index + 1) }
            }
            index += 1
        }
        return nil
    }

    /// `<scheme:...>` or `<mail@host>` (the address without its scheme), `<tag ...>`,
    /// `</tag>`, `<!-- ... -->` (nothing).
    private static func angle(_ line: ArraySlice<UInt8>, at index: Int) -> (Int, ArraySlice<UInt8>)? {
        guard index + 1 < line.endIndex else { return nil }
        let next = line[index + 1]
        if next == 0x21, line[(index + 1)...].starts(with: [0x21, 0x2D, 0x2D]) {
            var search = index + 4
            while search + 2 < line.endIndex {
                if line[search] == 0x2D, line[search + 1] == 0x2D, line[search + 2] == 0x3E { return (search + 3, []) }
                search += 1
            }
            return (line.endIndex, [])
        }
        guard next == 0x2F || next == 0x21 || next == 0x3F || (next | 0x20 >= 0x61 && next | 0x20 <= 0x7A),
            let close = line[(index + 1)...].firstIndex(of: 0x3E)
        else { return nil }
        let inside = line[(index + 1)..<close]
        guard !inside.contains(0x3C) else { return nil }
        if !inside.contains(0x20), let colon = inside.firstIndex(of: 0x3A), colon > inside.startIndex, next != 0x2F {
            var address = inside[(colon + 1)...]
            while address.first == 0x2F { address = address.dropFirst() }
            if inside[..<colon].elementsEqual("mailto".utf8) { return (close + 1, address) }
            return (close + 1, address.last == 0x2F ? address.dropLast() : address)
        }
        if !inside.contains(0x20), inside.contains(0x40), next != 0x2F { return (close + 1, inside) }
        // A line break or a block tag separates words ("with<br>break"); others join them.
        let name = inside.drop { $0 == 0x2F }.prefix { isWordByte($0) }.map { $0 | 0x20 }
        if separatingTags.contains(where: { $0.elementsEqual(name) }) { return (close + 1, [0x20]) }
        return (close + 1, [])
    }

    /// HTML elements that end a word: `<br>`, `<p>`, `<div>`, `<li>`, table cells...
    private static let separatingTags: [[UInt8]] = ["br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "dd", "dt", "hr", "blockquote", "section", "summary", "details"].map { Array($0.utf8) }

    private static let entities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
        "hellip": "…", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "copy": "©", "reg": "®",
        "trade": "™", "deg": "°", "times": "×", "eacute": "é", "shy": "",
    ]

    /// `&name;`, `&#123;` or `&#x1F600;` as the character it stands for.
    private static func entity(_ line: ArraySlice<UInt8>, at index: Int) -> (Int, [UInt8])? {
        guard let semicolon = line[index...].prefix(12).firstIndex(of: 0x3B), semicolon > index + 1 else { return nil }
        let name = String(decoding: line[(index + 1)..<semicolon], as: UTF8.self)
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
            return (semicolon + 1, Array(String(Character(scalar)).utf8))
        }
        guard let character = entities[name] else { return nil }
        return (semicolon + 1, Array(character.utf8))
    }
}
