import JSON

/// Gathers the problems of one manifest file. Lines are found lazily: JSONL entries know
/// their line, JSON fields are located in the text only when something is wrong.
package final class IssueCollector {
    package let file: String
    private let text: [UInt8]?
    package private(set) var issues: [ManifestIssue] = []
    private var bookmark: JSONLocator.Bookmark?
    /// Problems already reported: a bad value in `defaults` is met again by every task that
    /// inherits it, and is reported once.
    private var seen: Set<String> = []

    package init(file: String, text: [UInt8]?) {
        self.file = file
        self.text = text
    }

    package func add(_ issue: ManifestIssue) { issues.append(issue) }

    package func add(_ path: FieldPath, line: Int? = nil, value: JSON? = nil, _ message: String) {
        let field = path.description
        let excerpt = value?.excerpt()
        guard seen.insert("\(line ?? 0)\u{0}\(field)\u{0}\(excerpt ?? "")\u{0}\(message)").inserted else { return }
        let resolvedLine = line ?? text.flatMap { JSONLocator.line(of: path, in: $0, bookmark: &bookmark) }
        issues.append(ManifestIssue(file: file, line: resolvedLine, field: field, value: excerpt, message: message))
    }
}
