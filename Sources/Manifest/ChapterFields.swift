import JSON
import Narration
import Support
import Tasks

/// How a `tts` entry becomes chapters: its text split at headings (`chapters: "headings"` or
/// a level), or each file of a `textFile` pattern one chapter (`chapters: "files"`, implied
/// by `book: true`); with `book: true` the chapters are also joined into one book file.
package struct ChapterPlan {
    package enum Source {
        /// The chapters of the one text, in order.
        case headings([ChapterSplitter.Chapter])
        /// This slot's file is chapter `number` of `total`, titled by its first heading
        /// (else its name without extension).
        case file(number: Int, total: Int, title: String)
    }

    package let source: Source
    package let album: String?
    package let book: Bool

    /// How many chapter variants this slot makes.
    package var count: Int {
        if case .headings(let chapters) = source { return chapters.count }
        return 1
    }

    /// The chapter at `index` of this slot: number, total, title, album and book.
    package func chapter(_ index: Int, fallbackTitle: String, task: (id: String, title: String?, manifest: String), folder: String) -> NarrationChapter {
        let album = album ?? task.title ?? task.manifest
        let bookTarget = book ? OutputTarget(folder: folder, baseName: ChapterPlan.bookName(album: album)) : nil
        switch source {
        case .headings(let chapters):
            return NarrationChapter(number: index + 1, total: chapters.count, title: chapters[index].title ?? fallbackTitle, album: album, book: bookTarget)
        case .file(let number, let total, let title):
            return NarrationChapter(number: number, total: total, title: title, album: album, book: bookTarget)
        }
    }

    /// The book's file name (without extension): the album, made portable.
    package static func bookName(album: String) -> String {
        let name = PortableName.sanitise(album)
        return name.isEmpty ? "book" : name
    }

    /// `chapter` in templates: the number, two digits at least (`01`).
    package static func numberText(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }

    /// A book's CTOC frame counts its chapters in one byte.
    package static let maxBookChapters = 255
}

extension SpeechTaskExpander {
    /// The entry's chapters, from `chapters`, `book` and `album`; nil when it has none.
    /// Problems are reported at their field.
    func chapterPlan(texts: [Template], format: SpeechFormat?) -> ChapterPlan? {
        let chaptersField = entry.field("chapters")
        let book = entry.bool("book") ?? false
        let album = entry.string("album", what: "the album tag")
        let fromPattern = entry.row?.fromPattern == true
        enum Mode { case headings(Int?), files }
        var mode: Mode?
        if let located = chaptersField {
            if located.value.stringValue == "headings" {
                mode = .headings(nil)
            } else if located.value.stringValue == "files" {
                mode = .files
            } else if let level = located.value.intValue, (1...6).contains(level) {
                mode = .headings(Int(level))
            } else {
                entry.report(located, "chapters must be \"headings\", a heading level from 1 to 6, or \"files\" (one chapter per file of a textFile pattern)")
                return nil
            }
        } else if book {
            guard fromPattern, entry.row != nil else {
                entry.report(entry.field("book")!, "book: true needs chapters: \"headings\" (or a heading level), or a textFile pattern whose files are the chapters")
                return nil
            }
            mode = .files
        }
        guard let mode else { return nil }
        if book, format == .pcm, let located = entry.field("book") {
            entry.report(located, "a book is an mp3 with chapter marks: book: true needs format \"mp3\"")
            return nil
        }
        switch mode {
        case .files:
            guard fromPattern, let row = entry.row else {
                entry.report(chaptersField ?? entry.field("book")!, "chapters \"files\" makes one chapter per file of a textFile pattern (\"book/*.md\"); this entry has none")
                return nil
            }
            let total = row.total ?? row.number
            if book, total > ChapterPlan.maxBookChapters, let located = entry.field("book") {
                entry.report(located, "a book holds at most \(ChapterPlan.maxBookChapters) chapters; the pattern matches \(total) files")
                return nil
            }
            let title = texts.first.flatMap { ChapterSplitter.firstHeading(in: $0.render([:])) } ?? row.values["stem"] ?? "\(row.number)"
            return ChapterPlan(source: .file(number: row.number, total: total, title: title), album: album, book: book)
        case .headings(let level):
            if fromPattern {
                entry.report(chaptersField!, "a textFile pattern makes one chapter per file: use chapters \"files\", or name one file to split at its headings")
                return nil
            }
            if book, entry.row != nil, let located = entry.field("book") {
                entry.report(located, "book: true joins the chapters of one text; it cannot be used with rows")
                return nil
            }
            guard texts.count == 1, texts[0].names.isEmpty else {
                entry.report(chaptersField!, "chapters split one text: give one text without {variables}, or a textFile")
                return nil
            }
            let chapters = ChapterSplitter.split(texts[0].render([:]), level: level)
            if book, chapters.count > ChapterPlan.maxBookChapters, let located = entry.field("book") {
                entry.report(located, "a book holds at most \(ChapterPlan.maxBookChapters) chapters; the text has \(chapters.count)")
                return nil
            }
            return ChapterPlan(source: .headings(chapters), album: album, book: book)
        }
    }
}
