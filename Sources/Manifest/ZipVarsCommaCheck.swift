import Support
import JSON
import ManifestDiagnostics

extension ManifestFile {
    /// A variable given one string with commas (`"product": "mug, lamp"`) is one value,
    /// which is rarely what was meant: a warning says how to write a list.
    static func commaWarnings(_ vars: JSON?, issues: IssueCollector) -> [ManifestIssue] {
        guard case .object(let object)? = vars else { return [] }
        let located = IssueCollector(file: issues.file, text: nil)
        for (name, value) in object {
            guard case .string(let text) = value, text.contains(",") else { continue }
            let parts = text.split(separator: ",").map { "\"\($0.trimmingWhitespace())\"" }
            located.add(FieldPath([.key("vars"), .key(name)]), value: value,
                        "one value holding commas; for \(parts.count) values write a list: [\(parts.joined(separator: ", "))]")
        }
        return located.issues
    }
}
