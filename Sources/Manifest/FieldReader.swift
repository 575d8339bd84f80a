import JSON
import ManifestDiagnostics

/// Reads typed values out of an entry, reporting wrong types with the field's location
/// (built only for a value that is wrong).
package struct FieldReader {
    package let issues: IssueCollector
    package let line: Int?

    /// A string or a non-empty list of strings.
    package func strings(_ value: JSON, at path: @autoclosure () -> FieldPath, what: String) -> [String]? {
        switch value {
        case .string(let text):
            return [text]
        case .array(let items) where !items.isEmpty:
            var out: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    issues.add(path().appending(index), line: line, value: item, "each \(what) must be a string")
                    return nil
                }
                out.append(text)
            }
            return out
        default:
            issues.add(path(), line: line, value: value, "must be a \(what) string or a non-empty list of them")
            return nil
        }
    }

    package func string(_ value: JSON, at path: @autoclosure () -> FieldPath, what: String) -> String? {
        guard case .string(let text) = value else {
            issues.add(path(), line: line, value: value, "must be a string (\(what))")
            return nil
        }
        return text
    }

    package func object(_ value: JSON, at path: @autoclosure () -> FieldPath) -> JSONObject? {
        guard case .object(let object) = value else {
            issues.add(path(), line: line, value: value, "must be an object")
            return nil
        }
        return object
    }

    package func integer(_ value: JSON, at path: @autoclosure () -> FieldPath, range: ClosedRange<Int>) -> Int? {
        guard let number = value.intValue, range.contains(Int(number)) else {
            issues.add(path(), line: line, value: value, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return Int(number)
    }
}
