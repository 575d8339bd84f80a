import JSON
import ManifestDiagnostics
import Support

/// Problems of a task slot that expands a row, told where the user fixes them: a value from
/// a column at the rows file's line and that column, a template naming a column the rows do
/// not have at the line naming the columns.
package enum RowIssues {
    /// Fields that are not templates themselves but may take a row's columns
    /// (`"aspectRatio": "{ratio}"`); prompts, texts, ids, outputs and input images are
    /// templates already.
    static let renderedFields: Set<String> = [
        "model", "aspectRatio", "resolution", "voice", "textFile", "promptFile", "title", "format", "api", "quality", "size",
        "outputFormat", "background",
    ]

    /// Reports `{name}` in `field` that is neither a column of the row nor a variable.
    static func unknownColumn(_ name: String, row: Row, entry: EntryReader, field: String) {
        let columns = row.values.keys.sorted().joined(separator: ", ")
        let message = "no column \"\(name)\" in \(row.file) (columns: \(columns)) and no variable of that name"
        if let inline = row.inlinePath {
            entry.issues.add(inline, line: row.line, value: .string("{\(name)}"), message + " (used in \(field))")
        } else {
            entry.issues.add(ManifestIssue(file: row.file, line: row.columnsLine, field: "", value: "{\(name)}", message: message + " (used in \(field) of \(entry.header.file))"))
        }
    }

    /// Moves a problem met expanding `row` to the row: when the field's value came from
    /// columns, to the rows file's line and those columns; otherwise the row is named.
    static func relocate(_ issue: ManifestIssue, row: Row, object: JSONObject, entryPath: FieldPath, header: ManifestHeader) -> ManifestIssue {
        guard issue.file == header.file, row.inlinePath.map({ !issue.field.hasPrefix($0.description) }) ?? true else { return issue }
        let prefix = entryPath.description.isEmpty ? "" : entryPath.description + "."
        var raw: JSON?
        if issue.field.hasPrefix(prefix), let key = firstKey(issue.field.dropFirst(prefix.count)) {
            raw = object[key] ?? defaultsValue(key, header: header)
        } else {
            for section in ["image", "tts"] where issue.field.hasPrefix("defaults.\(section).") {
                raw = firstKey(issue.field.dropFirst("defaults.\(section).".count)).flatMap { key in header.defaults[section]?.first { $0.key == key }?.value }
            }
        }
        let texts = raw.map { $0.arrayValue ?? [$0] }?.compactMap(\.stringValue) ?? []
        var columns: [String] = []
        for text in texts {
            for name in (try? Template(text))?.names ?? [] where row.values[name] != nil && !columns.contains(name) { columns.append(name) }
        }
        let within = row.fromPattern ? "matched file \(row.values["file"] ?? "")" : "row \(row.number) of \(row.location)"
        if columns.isEmpty || row.inlinePath != nil || row.fromPattern {
            return ManifestIssue(file: issue.file, line: issue.line, field: issue.field, value: issue.value, message: issue.message + " (\(within))")
        }
        let field = "column " + columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let origin = issue.field.isEmpty ? header.file : "\(issue.field) of \(header.file)"
        return ManifestIssue(file: row.file, line: row.line, field: field, value: issue.value, message: issue.message + " (\(origin))")
    }

    private static func firstKey(_ rest: Substring) -> String? {
        let key = rest.prefix { $0 != "." && $0 != "[" }
        return key.isEmpty ? nil : String(key)
    }

    private static func defaultsValue(_ key: String, header: ManifestHeader) -> JSON? {
        header.defaults["image"]?.first { $0.key == key }?.value ?? header.defaults["tts"]?.first { $0.key == key }?.value
    }
}

extension Located {
    /// The value with a row's columns (when there is a row) and single-valued variables
    /// filled in, for a field that takes them; placeholders that name neither stay as
    /// written, for the field's own check to report. `multiValued` hears each variable of
    /// several values the field names: such a field takes one value per task, so a list
    /// variable cannot fill it.
    func rendered(key: String, row: Row?, header: ManifestHeader, multiValued: (String) -> Void = { _ in }) -> Located {
        guard RowIssues.renderedFields.contains(key) else { return self }
        func render(_ item: JSON) -> JSON {
            guard case .string(let text) = item, text.utf8.contains(UInt8(ascii: "{")), let template = try? Template(text) else { return item }
            var values = row?.values ?? [:]
            for name in template.names where values[name] == nil {
                guard let list = header.values(of: name) else { continue }
                if list.count == 1 { values[name] = list[0] } else { multiValued(name) }
            }
            return .string(template.render(values))
        }
        let value: JSON
        switch self.value {
        case .array(let items): value = .array(items.map(render))
        default: value = render(self.value)
        }
        return value == self.value ? self : replacing(value)
    }
}

extension EntryReader {
    /// False (reported) when a prompt or text is empty once its variables are filled in: an
    /// empty value must not be sent and paid for.
    func nonEmpty(_ text: String, key: String, index: Int?, what: String) -> Bool {
        guard text.trimmingWhitespace().isEmpty, let located = field(key) else { return true }
        report(located, index: index, value: .string(text), "the \(what) is empty once its variables are filled in")
        return false
    }
}
