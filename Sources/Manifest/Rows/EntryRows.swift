import Files
import Glibc
import JSON
import ManifestDiagnostics

/// Decides, at load, what each entry of a manifest multiplies over: its own `rows`, the files
/// a pattern in `inputImages` or `textFile` matches (`"incoming/*.jpg"`), the header's
/// `rows`, or nothing. An entry's own rows or pattern replace the header's rows.
package enum EntryRows {
    /// Keys whose presence in a JSONL line means the line is parsed at load to look.
    static let markers: [[UInt8]] = [Array(#""rows""#.utf8), Array(#""inputImages""#.utf8), Array(#""textFile""#.utf8), Array(#""promptFile""#.utf8)]

    /// The fields a pattern may stand in, in the order they are looked at.
    static let patternFields = ["inputImages", "textFile", "promptFile"]

    /// What entry `object` multiplies over. Problems go to `issues`; a pattern that matches
    /// nothing with `"optional": true` is a warning.
    static func kind(
        of object: JSONObject, path: FieldPath, line: Int?, header: ManifestHeader, headerRows: EntrySlots.Kind?,
        issues: IssueCollector, warnings: inout [ManifestIssue], maxBytes: Int, files: RowFiles
    ) -> EntrySlots.Kind {
        let pattern = patternField(object)
        if let rows = object["rows"] {
            if let pattern {
                issues.add(path.appending("rows"), line: line, "give rows or a file pattern (\(pattern.key)), not both")
                return .failed
            }
            guard let source = RowSource.load(rows, path: path.appending("rows"), line: line, header: header, issues: issues, maxBytes: maxBytes, files: files) else {
                return .failed
            }
            return nonEmpty(source, path: path.appending("rows"), line: line, issues: issues)
        }
        if let pattern {
            let names: [String]
            do { names = try Glob.match(pattern.text, in: header.directory, isAllowed: header.isAllowedInput) } catch {
                issues.add(path.appending(pattern.key), line: line, value: .string(pattern.text), error.message)
                return .failed
            }
            if names.isEmpty {
                let message = "no file matches this pattern"
                if object["optional"] == .bool(true) {
                    let location = IssueCollector(file: header.file, text: nil)
                    location.add(path.appending(pattern.key), line: line, value: .string(pattern.text), message + " (optional: the entry makes no task)")
                    warnings += location.issues
                } else {
                    issues.add(path.appending(pattern.key), line: line, value: .string(pattern.text), message + " (add \"optional\": true to allow none)")
                    return .failed
                }
            }
            return .rows(.files(file: header.file, names: names), rewrite: pattern.key)
        }
        return headerRows ?? .plain
    }

    /// The header's `rows`, read once for all entries.
    static func headerKind(_ value: JSON, header: ManifestHeader, issues: IssueCollector, maxBytes: Int, files: RowFiles) -> EntrySlots.Kind {
        let path = FieldPath([.key("rows")])
        guard let source = RowSource.load(value, path: path, line: nil, header: header, issues: issues, maxBytes: maxBytes, files: files) else { return .failed }
        return nonEmpty(source, path: path, line: nil, issues: issues)
    }

    private static func nonEmpty(_ source: RowSource, path: FieldPath, line: Int?, issues: IssueCollector) -> EntrySlots.Kind {
        guard source.count > 0 else {
            issues.add(path, line: line, "\(source.file) holds no rows (only the line naming the columns)")
            return .failed
        }
        return .rows(source, rewrite: nil)
    }

    /// A single-string `inputImages` or a `textFile` holding a wildcard and no placeholder.
    static func patternField(_ object: JSONObject) -> (key: String, text: String)? {
        for key in patternFields {
            if case .string(let text)? = object[key], Glob.isPattern(text), !text.contains("{"),
                !text.hasPrefix("http://"), !text.hasPrefix("https://")
            {
                return (key, text)
            }
        }
        return nil
    }

    /// True when bytes `range` of `text` hold one of the `markers` (a cheap look before
    /// parsing a JSONL line at load).
    static func mayHaveRows(_ text: [UInt8], _ range: Range<Int>) -> Bool {
        text.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return false }
            var position = range.lowerBound
            while position < range.upperBound, let hit = memchr(base + position, 0x22, range.upperBound - position) {
                let offset = base.distance(to: UnsafeRawPointer(hit))
                for marker in markers where offset + marker.count <= range.upperBound && raw[offset..<(offset + marker.count)].elementsEqual(marker) {
                    return true
                }
                position = offset + 1
            }
            return false
        }
    }
}

extension ManifestHeader {
    /// True when `real` (symlinks resolved) lies in the manifest's folder or one of the
    /// allowed input roots.
    package func isAllowedInput(_ real: String) -> Bool {
        ([realDirectory] + inputRoots).contains { root in real.hasPrefix(root.hasSuffix("/") ? root : root + "/") }
    }

    /// The resolved path of a regular file named relative to the manifest, when it is allowed.
    package func confinedInput(_ name: String) -> String? {
        guard !name.contains("\u{0}"), !name.hasPrefix("/"), let real = FileIO.realPath(directory + "/" + name),
            isAllowedInput(real), FileIO.isRegularFile(real)
        else { return nil }
        return real
    }
}

extension ManifestFile {
    /// The task slots of a manifest's entries (see `EntrySlots`). Only entries that may have
    /// rows or a pattern are looked at; a JSONL line only when its text names such a field.
    static func slots(
        header: ManifestHeader, headerRows: JSON?, text: [UInt8], jsonEntries: [JSON], lineEntries: [(range: Range<Int>, line: Int)],
        issues: IssueCollector, warnings: inout [ManifestIssue], maxBytes: Int
    ) -> EntrySlots {
        // Entries naming the same rows file share one copy of it, read once.
        let files = RowFiles()
        let shared = headerRows.map { EntryRows.headerKind($0, header: header, issues: issues, maxBytes: maxBytes, files: files) }
        let count = jsonEntries.isEmpty ? lineEntries.count : jsonEntries.count
        var kinds: [EntrySlots.Kind] = []
        var any = shared != nil
        for index in 0..<count {
            let object: JSONObject?
            let path: FieldPath
            let line: Int?
            if jsonEntries.isEmpty {
                let (range, number) = lineEntries[index]
                object = EntryRows.mayHaveRows(text, range)
                    ? (try? text.withUnsafeBytes { try JSONEncoding.parse(UnsafeRawBufferPointer(rebasing: $0[range]), source: header.file) })?.objectValue
                    : nil
                (path, line) = (FieldPath(), number)
            } else {
                object = jsonEntries[index].objectValue
                (path, line) = (FieldPath([.key("tasks"), .index(index)]), nil)
            }
            guard let object else {
                kinds.append(shared ?? .plain)
                continue
            }
            let kind = EntryRows.kind(of: object, path: path, line: line, header: header, headerRows: shared, issues: issues, warnings: &warnings, maxBytes: maxBytes, files: files)
            if case .plain = kind {} else { any = true }
            kinds.append(kind)
        }
        return any ? EntrySlots(kinds: kinds) : EntrySlots(entries: count)
    }
}
