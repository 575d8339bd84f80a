/// Gathers the problems of one manifest file. Lines are found lazily: JSONL entries know
/// their line, JSON fields are located in the text only when something is wrong.
final class IssueCollector {
    let file: String
    private let text: [UInt8]?
    private(set) var issues: [ManifestIssue] = []

    init(file: String, text: [UInt8]?) {
        self.file = file
        self.text = text
    }

    var isEmpty: Bool { issues.isEmpty }

    func add(_ issue: ManifestIssue) { issues.append(issue) }

    func add(_ path: FieldPath, line: Int? = nil, value: JSON? = nil, _ message: String) {
        let resolvedLine = line ?? text.flatMap { JSONLocator.line(of: path, in: $0) }
        issues.append(ManifestIssue(file: file, line: resolvedLine, field: path.description, value: value?.excerpt(), message: message))
    }
}
