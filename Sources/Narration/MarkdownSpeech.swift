// Markdown turned into what a narrator would say: a pure-Swift, line-based reader of the
// CommonMark constructs prose uses, working on UTF-8 bytes so that a megabyte takes
// milliseconds.

/// One block of spoken text made from Markdown: a heading or a paragraph (a list item, a
/// table row group, a quote's paragraph, a code block when code is read).
public struct SpokenBlock: Sendable, Equatable {
    /// What is said, without markup. A heading ends with a sentence mark (its pause).
    public let text: String
    /// The heading level (1-6), nil for other blocks.
    public let headingLevel: Int?
    /// The 1-based line of the source where the block starts.
    public let line: Int
}

/// A heading of a Markdown text, where it starts in the source: what splitting a text into
/// chapters at its headings needs.
public struct MarkdownHeading: Sendable, Equatable {
    /// 1 for `#` (or a `===` underline), 2 for `##` (or `---`), up to 6.
    public let level: Int
    /// The heading's words without markup (no sentence mark added).
    public let title: String
    /// The 1-based line of the source where the heading starts.
    public let line: Int
    /// The UTF-8 byte offset in the source of the start of that line.
    public let utf8Offset: Int
}

/// Turns Markdown into text made for speaking: headings become their words and a pause,
/// emphasis loses its marks, a link becomes its text, an image its alt text, list items and
/// table rows become sentences, HTML tags, comments, reference definitions and rules vanish,
/// and code blocks are skipped unless `readCode`.
public enum MarkdownSpeech {
    /// The blocks of `markdown`, in order.
    public static func blocks(_ markdown: String, readCode: Bool = false) -> [SpokenBlock] {
        var reader = MarkdownBlockReader(source: Array(markdown.utf8), readCode: readCode)
        reader.read()
        return reader.blocks.map { SpokenBlock(text: $0.text, headingLevel: $0.headingLevel, line: $0.line) }
    }

    /// The spoken text of `markdown`: its blocks separated by blank lines.
    public static func spoken(_ markdown: String, readCode: Bool = false) -> String {
        blocks(markdown, readCode: readCode).map(\.text).joined(separator: "\n\n")
    }

    /// Every heading of `markdown` (ATX `#` and setext underlines, never inside code blocks
    /// or front matter), with its level, title and source position.
    public static func headings(_ markdown: String) -> [MarkdownHeading] {
        var reader = MarkdownBlockReader(source: Array(markdown.utf8), readCode: false)
        reader.read()
        return reader.blocks.compactMap { block in
            block.headingLevel.map { MarkdownHeading(level: $0, title: block.title, line: block.line, utf8Offset: block.offset) }
        }
    }
}

/// The line scanner behind `MarkdownSpeech`: block structure line by line, inline markup
/// through `MarkdownInline`.
struct MarkdownBlockReader {
    struct Block {
        var text: String
        var title: String
        var headingLevel: Int?
        var line: Int
        var offset: Int
    }

    let source: [UInt8]
    let readCode: Bool
    var blocks: [Block] = []

    /// The paragraph being gathered: its spoken lines, where it started, and whether it is
    /// a list item or table (which end as sentences).
    private var paragraph: [String] = []
    private var paragraphRaw: [ArraySlice<UInt8>] = []
    private var paragraphLine = 0
    private var paragraphOffset = 0
    private var paragraphIsItem = false
    private var inTable = false
    /// Inside a list: an indented line is a nested item or an item's text, not code.
    private var inList = false
    private var code: [String] = []
    private var codeLine = 0

    init(source: [UInt8], readCode: Bool) {
        self.source = source
        self.readCode = readCode
    }

    mutating func read() {
        var lines: [(start: Int, end: Int)] = []
        var start = 0
        for index in source.indices where source[index] == 0x0A {
            lines.append((start, index))
            start = index + 1
        }
        if start < source.count { lines.append((start, source.count)) }

        var number = 0
        var fence: (char: UInt8, count: Int)?
        var inComment = false
        var inFrontMatter = false
        // Inside `<script>`, `<style>`, `<pre>` or `<textarea>` (HTML block type 1): the
        // closing tag that ends it, and whether its lines are read as code.
        var rawHTML: (closing: [UInt8], isCode: Bool)?
        while number < lines.count {
            let (lineStart, rawEnd) = lines[number]
            var end = rawEnd
            if end > lineStart, source[end - 1] == 0x0D { end -= 1 }
            let line = source[lineStart..<end]
            number += 1
            if number == 1, isFrontMatterMark(line, dashes: true) {
                inFrontMatter = true
                continue
            }
            if inFrontMatter {
                if isFrontMatterMark(line, dashes: true) || isFrontMatterMark(line, dashes: false) { inFrontMatter = false }
                continue
            }
            if let open = fence {
                if let close = fenceMark(line), close.char == open.char, close.count >= open.count, close.info.isEmpty {
                    fence = nil
                    flushCode()
                } else if readCode {
                    code.append(String(decoding: stripIndent(line, upTo: 4), as: UTF8.self))
                }
                continue
            }
            if inComment {
                if contains(line, "-->") { inComment = false }
                continue
            }
            if let open = rawHTML {
                if containsIgnoringCase(line[...], open.closing) {
                    rawHTML = nil
                    flushCode()
                } else if open.isCode, readCode {
                    code.append(String(decoding: line, as: UTF8.self))
                }
                continue
            }
            // Block quotes: the marks go; what follows is read as any line.
            var content = line
            while let rest = quoteRest(content) { content = rest }
            let blank = content.allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if blank {
                flushParagraph()
                flushCode()
                continue
            }
            // A line at the margin that is not an item ends the list.
            if inList, leadingSpaces(content) == 0, listItemRest(content) == nil { inList = false }
            if let mark = fenceMark(content) {
                flushParagraph()
                fence = (mark.char, mark.count)
                codeLine = number
                continue
            }
            let indent = leadingSpaces(content)
            if indent >= 4, paragraph.isEmpty, !inList {
                // An indented code block (not a paragraph's continuation).
                if readCode {
                    if code.isEmpty { codeLine = number }
                    code.append(String(decoding: stripIndent(content, upTo: 4), as: UTF8.self))
                }
                continue
            }
            flushCode()
            let body = content.dropFirst(min(indent, 3))
            if startsWith(body, "<!--") {
                flushParagraph()
                if !contains(body, "-->") { inComment = true }
                continue
            }
            if let element = rawHTMLStart(body) {
                flushParagraph()
                let closing = Array("</\(element)>".utf8)
                let isCode = element == "pre"
                if isCode { codeLine = number }
                if !containsIgnoringCase(body.dropFirst(element.utf8.count + 1), closing) {
                    rawHTML = (closing, isCode)
                    if isCode, readCode { code.append(String(decoding: body, as: UTF8.self)) }
                }
                continue
            }
            if let (level, title) = atxHeading(body) {
                flushParagraph()
                addHeading(level: level, raw: title, line: number, offset: lineStart)
                continue
            }
            if !paragraph.isEmpty, !paragraphIsItem, !inTable, let level = setextLevel(body) {
                let raw = Array(paragraphRaw.map { Array($0) }.joined(separator: [0x20]))
                let (headingLine, headingOffset) = (paragraphLine, paragraphOffset)
                paragraph = []
                paragraphRaw = []
                addHeading(level: level, raw: raw[...], line: headingLine, offset: headingOffset)
                continue
            }
            if isThematicBreak(body) {
                flushParagraph()
                continue
            }
            if isReferenceDefinition(body) { continue }
            if isTableDelimiter(body) {
                // The row above was the table's header: read as a row.
                if !paragraph.isEmpty, let last = paragraphRaw.last, last.contains(0x7C) {
                    paragraph[paragraph.count - 1] = tableRow(last)
                    inTable = true
                }
                continue
            }
            if inTable {
                if body.contains(0x7C) {
                    paragraph.append(tableRow(body))
                    paragraphRaw.append(body)
                    continue
                }
                flushParagraph()
            }
            // A nested item may stand 4 or more spaces in.
            if let item = listItemRest(inList ? content.dropFirst(indent) : body) {
                flushParagraph()
                paragraphIsItem = true
                inList = true
                startLine(item, line: number, offset: lineStart)
                continue
            }
            if let text = footnoteDefinitionRest(body) {
                // `[^1]: text`: the text is read as a paragraph of its own, without its label.
                flushParagraph()
                startLine(text, line: number, offset: lineStart)
                continue
            }
            startLine(body, line: number, offset: lineStart)
        }
        flushParagraph()
        flushCode()
    }

    private mutating func startLine(_ raw: ArraySlice<UInt8>, line: Int, offset: Int) {
        if paragraph.isEmpty {
            paragraphLine = line
            paragraphOffset = offset
        }
        paragraph.append(MarkdownInline.spoken(trimmed(raw)))
        paragraphRaw.append(raw)
    }

    private mutating func addHeading(level: Int, raw: ArraySlice<UInt8>, line: Int, offset: Int) {
        let title = trimmedString(MarkdownInline.spoken(trimmed(raw)))
        guard !title.isEmpty else { return }
        blocks.append(Block(text: Self.asSentence(title), title: title, headingLevel: level, line: line, offset: offset))
    }

    private mutating func flushParagraph() {
        defer {
            paragraph = []
            paragraphRaw = []
            paragraphIsItem = false
            inTable = false
        }
        var lines = paragraph.map(trimmedString).filter { !$0.isEmpty }
        guard !lines.isEmpty else { return }
        if inTable {
            lines = lines.map(Self.asSentence)
        } else if paragraphIsItem {
            lines[lines.count - 1] = Self.asSentence(lines[lines.count - 1])
        }
        let text = lines.joined(separator: "\n")
        blocks.append(Block(text: text, title: text, headingLevel: nil, line: paragraphLine, offset: paragraphOffset))
    }

    private mutating func flushCode() {
        defer { code = [] }
        guard readCode else { return }
        while let last = code.last, trimmedString(last).isEmpty { code.removeLast() }
        let text = code.joined(separator: "\n")
        guard !trimmedString(text).isEmpty else { return }
        blocks.append(Block(text: text, title: text, headingLevel: nil, line: codeLine, offset: 0))
    }

    /// `text` ending with a sentence mark, so a voice pauses after it.
    static func asSentence(_ text: String) -> String {
        guard let last = text.last else { return text }
        if NarrationSplitter.terminators.contains(last) || last == ":" || last == ";" { return text }
        if NarrationSplitter.closers.contains(last), text.count > 1, NarrationSplitter.terminators.contains(text[text.index(before: text.endIndex)]) { return text }
        return text + "."
    }

    // MARK: line shapes

    private func isFrontMatterMark(_ line: ArraySlice<UInt8>, dashes: Bool) -> Bool {
        let text = trimmed(line)
        return text.count == 3 && text.allSatisfy { $0 == (dashes ? 0x2D : 0x2E) }
    }

    /// A code fence: 3+ backticks or tildes (at most 3 spaces in), and its info string.
    private func fenceMark(_ line: ArraySlice<UInt8>) -> (char: UInt8, count: Int, info: ArraySlice<UInt8>)? {
        let indent = leadingSpaces(line)
        guard indent <= 3 else { return nil }
        let body = line.dropFirst(indent)
        guard let char = body.first, char == 0x60 || char == 0x7E else { return nil }
        let count = body.prefix { $0 == char }.count
        guard count >= 3 else { return nil }
        let info = trimmed(body.dropFirst(count))
        if char == 0x60, info.contains(0x60) { return nil }
        return (char, count, info)
    }

    private func quoteRest(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let indent = leadingSpaces(line)
        guard indent <= 3, line.dropFirst(indent).first == 0x3E else { return nil }
        var rest = line.dropFirst(indent + 1)
        if rest.first == 0x20 { rest = rest.dropFirst() }
        return rest
    }

    private func atxHeading(_ body: ArraySlice<UInt8>) -> (Int, ArraySlice<UInt8>)? {
        let level = body.prefix { $0 == 0x23 }.count
        guard (1...6).contains(level) else { return nil }
        var rest = body.dropFirst(level)
        guard rest.isEmpty || rest.first == 0x20 || rest.first == 0x09 else { return nil }
        rest = trimmed(rest)
        // A closing run of #s (after a space) goes.
        let closing = rest.reversed().prefix { $0 == 0x23 }.count
        if closing > 0 {
            let before = rest.dropLast(closing)
            if before.isEmpty || before.last == 0x20 || before.last == 0x09 { rest = trimmed(before) }
        }
        return (level, rest)
    }

    private func setextLevel(_ body: ArraySlice<UInt8>) -> Int? {
        let text = trimmed(body)
        guard let first = text.first, first == 0x3D || first == 0x2D, text.allSatisfy({ $0 == first }) else { return nil }
        return first == 0x3D ? 1 : 2
    }

    private func isThematicBreak(_ body: ArraySlice<UInt8>) -> Bool {
        guard let first = body.first, first == 0x2A || first == 0x2D || first == 0x5F else { return false }
        var count = 0
        for byte in body {
            if byte == first { count += 1 } else if byte != 0x20 && byte != 0x09 { return false }
        }
        return count >= 3
    }

    /// `[label]: destination` (link reference definitions, footnote definitions' labels are kept).
    private func isReferenceDefinition(_ body: ArraySlice<UInt8>) -> Bool {
        guard body.first == 0x5B, body.dropFirst().first != 0x5E, let close = body.firstIndex(of: 0x5D), close > body.startIndex + 1 else { return false }
        let after = body[(close + 1)...]
        guard after.first == 0x3A else { return false }
        // The destination: one word (`<...>` or a URL), an optional title after it.
        let destination = trimmed(after.dropFirst())
        guard let first = destination.first else { return false }
        let word = destination.prefix { $0 != 0x20 && $0 != 0x09 }
        return first == 0x3C || word.contains(0x2F) || word.contains(0x2E) || word.contains(0x23)
    }

    private func isTableDelimiter(_ body: ArraySlice<UInt8>) -> Bool {
        let text = trimmed(body)
        guard text.contains(0x2D), text.contains(0x7C) || text.first == 0x3A else { return false }
        return text.allSatisfy { $0 == 0x7C || $0 == 0x2D || $0 == 0x3A || $0 == 0x20 || $0 == 0x09 }
    }

    private func tableRow(_ body: ArraySlice<UInt8>) -> String {
        var text = trimmed(body)
        if text.first == 0x7C { text = text.dropFirst() }
        if text.last == 0x7C, text.count >= 2, text[text.index(before: text.endIndex) - 1] != 0x5C { text = text.dropLast() }
        var cells: [String] = []
        var cell: [UInt8] = []
        var previous: UInt8 = 0
        for byte in text {
            if byte == 0x7C, previous != 0x5C {
                cells.append(trimmedString(MarkdownInline.spoken(trimmed(cell[...]))))
                cell = []
            } else {
                cell.append(byte)
            }
            previous = byte
        }
        cells.append(trimmedString(MarkdownInline.spoken(trimmed(cell[...]))))
        return cells.filter { !$0.isEmpty }.joined(separator: ", ")
    }

    /// The element name when `body` opens `<script>`, `<style>`, `<pre>` or `<textarea>`
    /// (followed by a space, `>` or the end of the line), lowercased.
    private func rawHTMLStart(_ body: ArraySlice<UInt8>) -> String? {
        guard body.first == 0x3C else { return nil }
        for element in ["script", "style", "pre", "textarea"] {
            let name = Array(element.utf8)
            let after = body.dropFirst(1 + name.count)
            guard body.count > name.count, body.dropFirst().prefix(name.count).map({ $0 | 0x20 }) == name else { continue }
            if after.isEmpty || after.first == 0x20 || after.first == 0x09 || after.first == 0x3E { return element }
        }
        return nil
    }

    /// The text of a footnote definition `[^label]: text`.
    private func footnoteDefinitionRest(_ body: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard body.first == 0x5B, body.dropFirst().first == 0x5E, let close = body.firstIndex(of: 0x5D), close > body.startIndex + 2,
            body[(close + 1)...].first == 0x3A
        else { return nil }
        return trimmed(body[(close + 2)...])
    }

    /// What follows a list marker (`-`, `*`, `+`, `1.`, `1)`) and a task box (`[ ]`, `[x]`).
    private func listItemRest(_ body: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let first = body.first else { return nil }
        var rest: ArraySlice<UInt8>
        if first == 0x2D || first == 0x2A || first == 0x2B {
            rest = body.dropFirst()
        } else {
            let digits = body.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            guard (1...9).contains(digits), let mark = body.dropFirst(digits).first, mark == 0x2E || mark == 0x29 else { return nil }
            rest = body.dropFirst(digits + 1)
        }
        guard rest.isEmpty || rest.first == 0x20 || rest.first == 0x09 else { return nil }
        rest = trimmed(rest)
        if rest.count >= 3, rest.first == 0x5B, rest[rest.startIndex + 2] == 0x5D,
            [0x20, 0x78, 0x58].contains(rest[rest.startIndex + 1])
        {
            rest = trimmed(rest.dropFirst(3))
        }
        return rest
    }

    // MARK: bytes

    private func leadingSpaces(_ line: ArraySlice<UInt8>) -> Int {
        var count = 0
        for byte in line {
            if byte == 0x20 { count += 1 } else if byte == 0x09 { count += 4 - count % 4 } else { break }
        }
        return count
    }

    private func stripIndent(_ line: ArraySlice<UInt8>, upTo limit: Int) -> ArraySlice<UInt8> {
        var rest = line
        var removed = 0
        while removed < limit, let byte = rest.first, byte == 0x20 || byte == 0x09 {
            removed += byte == 0x09 ? 4 : 1
            rest = rest.dropFirst()
        }
        return rest
    }

    private func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private func trimmedString(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isPureWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isPureWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }

    private func startsWith(_ bytes: ArraySlice<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return prefix.withUTF8Buffer { needle in bytes.prefix(count).elementsEqual(needle) }
    }

    private func containsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ pattern: [UInt8]) -> Bool {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return false }
        var index = bytes.startIndex
        while index + pattern.count <= bytes.endIndex {
            if bytes[index..<(index + pattern.count)].map({ $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }).elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }

    private func contains(_ bytes: ArraySlice<UInt8>, _ needle: StaticString) -> Bool {
        let pattern = needle.withUTF8Buffer { Array($0) }
        guard bytes.count >= pattern.count else { return false }
        var index = bytes.startIndex
        while index + pattern.count <= bytes.endIndex {
            if bytes[index] == pattern[0], bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }
}
