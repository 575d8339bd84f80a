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
        if let issue = located(path, line: line, value: value, message) { issues.append(issue) }
    }

    /// Something probably not meant, which does not stop the batch (told as a warning).
    package private(set) var warnings: [ManifestIssue] = []

    package func warn(_ path: FieldPath, line: Int? = nil, value: JSON? = nil, _ message: String) {
        if let issue = located(path, line: line, value: value, message) { warnings.append(issue) }
    }

    /// The issue with its line found, or nil when it was told already.
    private func located(_ path: FieldPath, line: Int?, value: JSON?, _ message: String) -> ManifestIssue? {
        let field = path.description
        let excerpt = value?.excerpt()
        guard seen.insert("\(line ?? 0)\u{0}\(field)\u{0}\(excerpt ?? "")\u{0}\(message)").inserted else { return nil }
        var resolvedLine = line ?? text.flatMap { JSONLocator.line(of: path, in: $0, bookmark: &bookmark) }
        // A field that is missing has no line of its own: the object that lacks it has.
        if resolvedLine == nil, let text, path.components.count > 1, case .key = path.components.last {
            resolvedLine = JSONLocator.line(of: FieldPath(Array(path.components.dropLast())), in: text)
        }
        return ManifestIssue(file: file, line: resolvedLine, field: field, value: excerpt, message: message)
    }
}
