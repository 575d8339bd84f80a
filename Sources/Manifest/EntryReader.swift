import JSON
import ManifestDiagnostics
import Tasks

/// A field's value and where to blame it: the entry itself or a `defaults` section. The
/// path is built only when something is wrong with the value (most fields are fine, and a
/// batch reads millions of them).
package struct Located {
    package let value: JSON
    package let line: Int?
    private let parent: FieldPath
    private let key: String?

    package init(value: JSON, path: FieldPath, line: Int?) {
        self.value = value
        self.line = line
        parent = path
        key = nil
    }

    /// The member `key` of the object at `parent`.
    package init(value: JSON, in parent: FieldPath, key: String, line: Int?) {
        self.value = value
        self.line = line
        self.parent = parent
        self.key = key
    }

    package var path: FieldPath { key.map(parent.appending) ?? parent }

    /// The same location holding another value (a field with a row's columns filled in).
    package func replacing(_ newValue: JSON) -> Located {
        if let key { return Located(value: newValue, in: parent, key: key, line: line) }
        return Located(value: newValue, path: parent, line: line)
    }
}

/// Reads the fields of one task entry for an expander: the entry's own value or else the
/// manifest's `defaults.<section>`, typed, with every problem reported at its location.
package struct EntryReader {
    /// The reader's fields, held once: expanders hand the reader to helpers by value many
    /// times per task, and a copy is then one reference instead of a dozen.
    private final class Fields {
        let header: ManifestHeader
        let object: JSONObject
        let path: FieldPath
        let line: Int?
        let ordinal: Int
        let issues: IssueCollector
        let section: String
        let catalog: ModelCatalog?
        let modelRefs: ModelRefMemo?
        let row: Row?
        /// `header.defaults[section]`, looked up once (a task reads a dozen fields).
        let defaults: [(key: String, value: JSON, path: FieldPath)]

        init(header: ManifestHeader, object: JSONObject, path: FieldPath, line: Int?, ordinal: Int, issues: IssueCollector, section: String,
             catalog: ModelCatalog?, modelRefs: ModelRefMemo?, row: Row?) {
            self.header = header
            self.object = object
            self.path = path
            self.line = line
            self.ordinal = ordinal
            self.issues = issues
            self.section = section
            self.catalog = catalog
            self.modelRefs = modelRefs
            self.row = row
            defaults = header.defaults[section] ?? []
        }
    }

    private let fields: Fields

    package var header: ManifestHeader { fields.header }
    package var object: JSONObject { fields.object }
    package var path: FieldPath { fields.path }
    package var line: Int? { fields.line }
    package var ordinal: Int { fields.ordinal }
    package var issues: IssueCollector { fields.issues }
    /// `image` or `tts`: which defaults apply.
    package var section: String { fields.section }
    /// OpenRouter's model lists, when cached: more checks, and the better choices.
    package var catalog: ModelCatalog? { fields.catalog }
    /// Model references parsed by earlier entries of the same pass.
    package var modelRefs: ModelRefMemo? { fields.modelRefs }
    /// The row this task slot expands (its columns are variables), if the entry has rows.
    package var row: Row? { fields.row }

    package init(
        header: ManifestHeader, object: JSONObject, path: FieldPath, line: Int?, ordinal: Int, issues: IssueCollector, section: String,
        catalog: ModelCatalog? = nil, modelRefs: ModelRefMemo? = nil, row: Row? = nil
    ) {
        fields = Fields(
            header: header, object: object, path: path, line: line, ordinal: ordinal, issues: issues, section: section, catalog: catalog,
            modelRefs: modelRefs, row: row)
    }

    /// Where the tasks come from: the row's line in its rows file, else the entry's.
    package var origin: TaskOrigin {
        if let row, let rowLine = row.line, row.inlinePath == nil { return TaskOrigin(file: row.file, line: rowLine) }
        return TaskOrigin(file: header.file, line: line)
    }

    /// A variable's values: the row's column (one value), else the manifest's vars.
    package func values(of name: String) -> [String]? {
        if let value = row?.values[name] { return [value] }
        return header.values(of: name)
    }

    package func field(_ key: String) -> Located? {
        let located: Located
        if let value = object[key] { located = Located(value: value, in: path, key: key, line: line) }
        else if let fallback = fields.defaults.first(where: { $0.key == key }) {
            located = Located(value: fallback.value, path: fallback.path, line: nil)
        } else {
            return nil
        }
        // Only the settings that take variables (not the prompt, scanned for nothing), and
        // without a row only where a placeholder is.
        guard RowIssues.renderedFields.contains(key), row != nil || Self.holdsPlaceholder(located.value) else { return located }
        return located.rendered(key: key, row: row, header: header) { name in
            let count = header.values(of: name)?.count ?? 0
            report(located, "{\(name)} has \(count) values in vars, but \(key) takes one value per task: write the values in \(key) itself as a list (\"\(key)\": [...]), or use rows")
        }
    }

    private static func holdsPlaceholder(_ value: JSON) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(UInt8(ascii: "{"))
        case .array(let items): return items.contains(where: holdsPlaceholder)
        default: return false
        }
    }

    package func report(_ located: Located, index: Int? = nil, value: JSON? = nil, _ message: String) {
        let at = index.map { located.value.arrayValue == nil ? located.path : located.path.appending($0) } ?? located.path
        issues.add(at, line: located.line, value: value ?? located.value, message)
    }

    /// A warning about `located` (the batch goes on).
    package func warn(_ located: Located, _ message: String) {
        issues.warn(located.path, line: located.line, message)
    }

    /// The `output` template (or the id it defaults to) makes a name that cannot be a file
    /// inside the output folder.
    package func reportBadOutputName() {
        issues.add(path.appending("output"), line: line, "the output name must be a relative path inside the output folder (no '..', not absolute, at most \(PortableName.maxPathLength) bytes)")
    }

    package func reportMissing(_ key: String, _ message: String) {
        issues.add(path.appending(key), line: line, message)
    }

    /// Unknown keys are errors: a typo must not silently fall back to a default.
    package func rejectUnknownKeys(allowed: Set<String>, kind: String) {
        for key in object.keys where !allowed.contains(key) {
            let hint = ModelSuggestion.hint(key, among: allowed, minimumSlack: 1)
            issues.add(
                path.appending(key), line: line,
                "unknown field for \(kind)\(hint.isEmpty ? "" : hint) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private func reader(_ located: Located) -> FieldReader { FieldReader(issues: issues, line: located.line) }

    /// A string or a non-empty list of strings (a list multiplies the task).
    package func strings(_ key: String, what: String) -> [String]? {
        field(key).flatMap { reader($0).strings($0.value, at: $0.path, what: what) }
    }

    /// `[nil]` when the field is absent (one task without the setting), else `strings`
    /// (empty when the value is wrong, which is reported).
    package func optionalStrings(_ key: String, what: String) -> [String?] {
        guard let located = field(key) else { return [nil] }
        return reader(located).strings(located.value, at: located.path, what: what) ?? []
    }

    package func string(_ key: String, what: String) -> String? {
        field(key).flatMap { reader($0).string($0.value, at: $0.path, what: what) }
    }

    package func object(_ key: String) -> JSONObject? {
        field(key).flatMap { reader($0).object($0.value, at: $0.path) }
    }

    package func integer(_ key: String, range: ClosedRange<Int>) -> Int? {
        field(key).flatMap { reader($0).integer($0.value, at: $0.path, range: range) }
    }

    package func bool(_ key: String) -> Bool? {
        guard let located = field(key) else { return nil }
        guard case .bool(let flag) = located.value else {
            report(located, "must be true or false")
            return nil
        }
        return flag
    }

    /// Model references from `key` (one or a list); reports the ones that are not.
    package func models(_ key: String, fallback: String? = nil) -> [ModelRef] {
        guard let located = field(key) else {
            if let fallback, let model = parseModel(fallback) { return [model] }
            reportMissing(key, "missing: set the task's \(key) or defaults.\(section).\(key)")
            return []
        }
        var models: [ModelRef] = []
        for (index, text) in (reader(located).strings(located.value, at: located.path, what: "model") ?? []).enumerated() {
            if let model = parseModel(text) { models.append(model) } else {
                report(located, index: index, value: .string(text),
                       "not a model reference (write openrouter/<provider>/<model>, openrouter/auto or <provider>/<model>)")
            }
        }
        return models
    }

    private func parseModel(_ text: String) -> ModelRef? { modelRefs?.parse(text) ?? ModelRef(text) }

    /// A template from a text, or nil (reported) when its braces are wrong.
    package func template(_ text: String, at located: Located, index: Int? = nil) -> Template? {
        do { return try Template(text) } catch {
            report(located, index: index, value: .string(text), error.message)
            return nil
        }
    }

    /// The `id` and `output` templates (defaults `task-<n>` and `{id}`).
    package func nameTemplates() -> (id: Template, output: Template)? {
        let idField = object["id"].map { Located(value: $0, in: path, key: "id", line: line) }
        let idText = idField.flatMap { reader($0).string($0.value, at: $0.path, what: "the task id") } ?? (row?.fromPattern == true ? "{stem}" : "task-\(ordinal)")
        let outputField = object["output"].map { Located(value: $0, in: path, key: "output", line: line) }
        let outputText = outputField.flatMap { reader($0).string($0.value, at: $0.path, what: "an output name template") } ?? "{id}"
        let id = template(idText, at: idField ?? Located(value: .string(idText), in: path, key: "id", line: line))
        let output = template(outputText, at: outputField ?? Located(value: .string(outputText), in: path, key: "output", line: line))
        guard let id, let output else { return nil }
        return (id, output)
    }

    /// The manifest variables the templates use, in order; unknown names are reported.
    /// `outputBuiltins` are the extra names an output template may use.
    package func variables(id: Template, output: Template, texts: [(Template, String)], outputBuiltins: Set<String>) -> [String] {
        var names: [String] = []
        for (template, fieldName, allowed) in [(id, "id", Set<String>())] + texts.map({ ($0.0, $0.1, Set<String>()) }) + [(output, "output", outputBuiltins)] {
            for name in template.names where !names.contains(name) && !allowed.contains(name) {
                if values(of: name) == nil {
                    if let row {
                        RowIssues.unknownColumn(name, row: row, entry: self, field: fieldName)
                        continue
                    }
                    issues.add(path.appending(fieldName), line: line, value: .string("{\(name)}"),
                               "unknown template variable (define it in vars\(allowed.isEmpty ? "" : ", or use one of \(allowed.sorted().joined(separator: ", "))"))")
                } else {
                    names.append(name)
                }
            }
        }
        return names
    }
}
