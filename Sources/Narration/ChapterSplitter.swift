// Splits a Markdown text into chapters at its headings.

/// Splits a narration's text into chapters at Markdown headings (`chapters: "headings"` or a
/// heading level), so each chapter becomes a narration and a file of its own.
public enum ChapterSplitter {
    /// One chapter: its title (the heading's words, or nil for text before any heading) and
    /// its text, heading line included, so that the narrator reads the heading.
    public struct Chapter: Sendable, Equatable {
        public let title: String?
        public let text: String

        public init(title: String?, text: String) {
            self.title = title
            self.text = text
        }
    }

    /// The chapters of `text`, cut before every heading of level 1...`level` (nil: the
    /// shallowest level the text uses). Text before the first such heading, when it holds
    /// more than whitespace, goes with the first chapter (a title page read before chapter
    /// one). A text without such headings is one untitled chapter.
    public static func split(_ text: String, level: Int?) -> [Chapter] {
        let headings = MarkdownHeadingScan.headings(in: text)
        guard let deepest = level ?? headings.map(\.level).min() else { return [Chapter(title: nil, text: text)] }
        let cuts = headings.filter { $0.level <= deepest }
        guard !cuts.isEmpty else { return [Chapter(title: nil, text: text)] }
        var chapters: [Chapter] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var preamble = lines[..<cuts[0].line].joined(separator: "\n")
        if preamble.allSatisfy(\.isWhitespace) { preamble = "" }
        for (index, cut) in cuts.enumerated() {
            let end = index + 1 < cuts.count ? cuts[index + 1].line : lines.count
            var body = lines[cut.line..<end].joined(separator: "\n")
            if index == 0, !preamble.isEmpty { body = preamble + "\n" + body }
            chapters.append(Chapter(title: cut.title, text: body))
        }
        return chapters
    }

    /// The title of the first heading of `text`, if it has one.
    public static func firstHeading(in text: String) -> String? {
        MarkdownHeadingScan.headings(in: text).first?.title
    }
}

/// STAND-IN, to be replaced by the Markdown headings the text half of issue #17 adds to this
/// module (positions, levels, titles): ATX headings (`# Title`, up to three spaces before,
/// closing `#`s dropped) outside fenced code blocks (``` or ~~~). Setext headings, and
/// headings inside lists or quotes, are not found.
package enum MarkdownHeadingScan {
    package struct Heading: Sendable, Equatable {
        /// 0-based line number in the text (lines split at "\n").
        package let line: Int
        package let level: Int
        package let title: String
    }

    package static func headings(in text: String) -> [Heading] {
        var headings: [Heading] = []
        var fence: Character?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            let indent = line.prefix { $0 == " " }.count
            guard indent <= 3 else { continue }
            let body = line.dropFirst(indent)
            if let marker = body.first, marker == "`" || marker == "~", body.prefix(3).allSatisfy({ $0 == marker }), body.count >= 3 {
                if fence == nil { fence = marker } else if fence == marker { fence = nil }
                continue
            }
            guard fence == nil else { continue }
            let hashes = body.prefix { $0 == "#" }.count
            guard (1...6).contains(hashes) else { continue }
            let rest = body.dropFirst(hashes)
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { continue }
            var title = rest.trimmingSpaces()
            // A closing sequence of #s, set off by a space, is not part of the title.
            let closing = title.reversed().prefix { $0 == "#" }.count
            if closing > 0 {
                let before = title.dropLast(closing)
                if before.isEmpty || before.last == " " || before.last == "\t" { title = before.trimmingSpaces() }
            }
            headings.append(Heading(line: number, level: hashes, title: String(title)))
        }
        return headings
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
