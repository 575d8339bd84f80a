import Tasks

/// A book to join at the end of a run (`book: true`): its file and, in order, the chapter
/// narrations it is made of, each named by its output and its key in the journal.
package struct BookPlan: Sendable {
    package struct Chapter: Sendable {
        package let number: Int
        package let title: String
        package let path: String
        package let key: String
        package let taskID: String
    }

    package let target: OutputTarget
    package let origin: TaskOrigin
    package let album: String
    package let artist: String
    package let loudness: Double?
    /// The chapters a complete book has (the chapters' `total`).
    package let total: Int
    package var chapters: [Chapter]
}

/// Collects the books of a plan from its chapter tasks, in the order validation meets them.
struct BookPlans {
    private var byPath: [String: Int] = [:]
    private(set) var plans: [BookPlan] = []

    mutating func add(_ task: SpeechTask, key: String) {
        guard let chapter = task.chapter, let book = chapter.book else { return }
        let entry = BookPlan.Chapter(
            number: chapter.number, title: chapter.title, path: task.output.path(index: nil, of: 1, fileExtension: task.format.fileExtension),
            key: key, taskID: task.id)
        let path = book.path(index: nil, of: 1, fileExtension: "mp3")
        if let index = byPath[path] {
            plans[index].chapters.append(entry)
        } else {
            byPath[path] = plans.count
            plans.append(BookPlan(
                target: book, origin: task.origin, album: chapter.album, artist: task.voice, loudness: task.loudness, total: chapter.total,
                chapters: [entry]))
        }
    }
}
