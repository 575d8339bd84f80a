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
        // 0-based lines, as `lines` below counts them.
        let headings = MarkdownSpeech.headings(text).map { (line: $0.line - 1, level: $0.level, title: $0.title) }
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
        MarkdownSpeech.headings(text).first?.title
    }
}
