/// One problem in a manifest, located the way a user fixes it: file, line, field, value.
public struct ManifestIssue: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    /// The field's path in the document, e.g. `tasks[2].aspectRatio`.
    public let field: String
    /// A short rendering of the offending value, when there is one.
    public let value: String?
    public let message: String

    public init(file: String, line: Int?, field: String, value: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.value = value
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if !field.isEmpty { text += ": \(field)" }
        if let value { text += " = \(value)" }
        return text + ": " + message
    }
}

/// Every problem found in one or more manifests, reported together so a user fixes all of
/// them in one pass. Thrown before any request is sent.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let issues: [ManifestIssue]
    public init(issues: [ManifestIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// A path to a value inside a JSON document: keys and array indices.
public struct FieldPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable { case key(String), index(Int) }
    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}
