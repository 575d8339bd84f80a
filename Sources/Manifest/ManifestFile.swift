import Files
import Glibc
import JSON
import ManifestDiagnostics

/// One manifest file, read and checked down to its header (name, output folder, defaults,
/// vars). Its task entries are handed out one at a time by `forEachEntry`, so a JSONL file
/// of a hundred thousand lines never becomes a hundred thousand task values at once.
public final class ManifestFile: Sendable {
    public enum Format: Sendable { case json, jsonl }

    public let path: String
    public let format: Format
    public let header: ManifestHeader
    /// Problems in the header; the entries are still checked so all problems come at once.
    package let headerIssues: [ManifestIssue]
    private let text: [UInt8]
    /// JSON: the parsed `tasks` array. JSONL: byte ranges and line numbers of entry lines.
    private let jsonEntries: [JSON]
    private let lineEntries: [(range: Range<Int>, line: Int)]
    /// The task slots: one per entry, or one per row of an entry with rows.
    private let slots: EntrySlots
    /// Things worth saying that are not errors (an optional pattern that matched nothing).
    public let warnings: [ManifestIssue]
    /// The manifest's text has a string starting with `@` (`"@shot"`, `"@{sku}"`): some task
    /// may take another's output, so the planner keeps each task's key for the chains. (A
    /// reference a rows column or a variable spells is found too, later, by expanding its
    /// producer again.)
    package let mayReferenceTasks: Bool

    /// Loads and checks `path`. `outputRoot` must be absolute; `base` holds header fields
    /// (`defaults`, `vars`, ...) from a `--defaults` file (see `loadDefaults`) that the
    /// manifest's own override.
    public init(
        path: String, outputRoot: String, base: JSONObject = [:], maxBytes: Int = ManifestLimits().maxFileBytes,
        context: ManifestContext = ManifestContext()
    ) throws(ManifestError) {
        self.path = path
        var format: Format = path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") ? .jsonl : .json
        if path != ManifestPaths.standardInput, let size = FileIO.size(path), size > maxBytes {
            throw ManifestError(issues: [ManifestIssue(
                file: path, line: nil, field: "", value: nil,
                message: "the manifest is \(size >> 20) MiB, more than the limit of \(maxBytes >> 20) MiB; split it or raise the limit with --max-manifest-mib")])
        }
        let text: [UInt8]
        do {
            if path == ManifestPaths.standardInput {
                text = try ManifestPaths.readStandardInput(limit: maxBytes)
                // One JSON document, else JSONL.
                if (try? JSONEncoding.parse(text, source: path)) == nil { format = .jsonl }
            } else {
                text = try FileIO.readAll(path, limit: maxBytes)
            }
        } catch {
            throw ManifestError(issues: [ManifestIssue(file: path, line: nil, field: "", value: nil, message: error.description)])
        }
        self.format = format
        self.text = text
        let issues = IssueCollector(file: path, text: format == .json ? text : nil)

        var headerObject = base
        var jsonEntries: [JSON] = []
        var lineEntries: [(range: Range<Int>, line: Int)] = []
        switch format {
        case .json:
            let document: JSON
            do { document = try JSONEncoding.parse(text, source: path) } catch {
                throw ManifestError(issues: [ManifestIssue(file: path, line: error.line, field: "", value: nil, message: "invalid JSON (column \(error.column)): \(error.message)")])
            }
            guard case .object(let object) = document else {
                throw ManifestError(issues: [ManifestIssue(file: path, line: 1, field: "", value: nil, message: "a manifest is a JSON object with a \"tasks\" array")])
            }
            for (key, value) in object where key != "tasks" { headerObject[key] = value }
            switch object["tasks"] {
            case .array(let tasks): jsonEntries = tasks
            case nil: issues.add(FieldPath([.key("tasks")]), line: 1, "missing: a manifest needs a \"tasks\" array")
            case let other?: issues.add(FieldPath([.key("tasks")]), value: other, "must be an array of task objects")
            }
        case .jsonl:
            var lineNumber = 0
            var start = 0
            var sawFirst = false
            while start <= text.count {
                lineNumber += 1
                let end = text[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
                let range = start..<end
                start = end + 1
                if text[range].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { if end == text.count { break } else { continue } }
                if !sawFirst {
                    sawFirst = true
                    if let header = ManifestFile.headerLine(text[range]) {
                        for (key, value) in header { headerObject[key] = value }
                        continue
                    }
                }
                lineEntries.append((range, lineNumber))
                if end == text.count { break }
            }
        }
        self.jsonEntries = jsonEntries
        self.lineEntries = lineEntries
        if let line = ManifestFile.lineOfAPIKey(in: text) {
            // The value is not repeated: the message must not spread the secret further.
            issues.add(ManifestIssue(file: path, line: line, field: "", value: nil, message: APIKeyScan.message))
        } else if APIKeyScan.contains(.object(headerObject)) {
            issues.add(ManifestIssue(file: path, line: nil, field: "", value: nil, message: APIKeyScan.message))
        }
        let header = ManifestHeader(object: headerObject, file: path, outputRoot: outputRoot, issues: issues, context: context)
        self.header = header
        var warnings: [ManifestIssue] = []
        slots = ManifestFile.slots(
            header: header, headerRows: headerObject["rows"], text: text, jsonEntries: jsonEntries, lineEntries: lineEntries, issues: issues,
            warnings: &warnings, maxBytes: maxBytes)
        self.warnings = warnings + ManifestFile.commaWarnings(headerObject["vars"], issues: issues)
        self.headerIssues = issues.issues
        mayReferenceTasks = ManifestFile.hasStringStartingWithAt(text)
    }

    /// Reads a `--defaults` file once for all the manifests it serves: a JSON object of
    /// header fields, holding no API key.
    public static func loadDefaults(_ defaultsFile: String) throws(ManifestError) -> JSONObject {
        do {
            let bytes = try FileIO.readAll(defaultsFile, limit: 16 << 20)
            guard case .object(let object) = try JSONEncoding.parse(bytes, source: defaultsFile) else {
                throw ManifestError(issues: [ManifestIssue(file: defaultsFile, line: 1, field: "", value: nil, message: "must be a JSON object")])
            }
            if let line = ManifestFile.lineOfAPIKey(in: bytes) ?? (APIKeyScan.contains(.object(object)) ? 1 : nil) {
                throw ManifestError(issues: [ManifestIssue(file: defaultsFile, line: line, field: "", value: nil, message: APIKeyScan.message)])
            }
            return object
        } catch let error as ManifestError {
            throw error
        } catch {
            throw ManifestError(issues: [ManifestIssue(file: defaultsFile, line: nil, field: "", value: nil, message: "\(error)")])
        }
    }

    /// The line of the first `sk-or-` (OpenRouter's key prefix) in the raw text, if any.
    /// Keys spelled with JSON escapes are caught after parsing by `APIKeyScan`.
    package static func lineOfAPIKey(in text: [UInt8]) -> Int? {
        text.withUnsafeBytes { raw in APIKeyScan.offsetOfKey(in: raw).map { 1 + APIKeyScan.newlines(in: raw[..<$0]) } }
    }

    /// The line of the first `sk-or-` in a file read a block at a time (its lines are
    /// counted only when a key is found: almost never).
    package static func lineOfAPIKey(in file: FileSnapshot, block: Int = FileSnapshot.block) -> Int? {
        let overlap = APIKeyScan.prefixLength - 1  // a key split between two blocks is found in the second
        var found: Int?
        file.scan(block: block) { bytes, offset, atEnd in
            if let hit = APIKeyScan.offsetOfKey(in: bytes) {
                found = offset + hit
                return nil
            }
            return atEnd ? bytes.count : max(0, bytes.count - overlap)
        }
        return found.map { offset in file.bytes(in: 0..<offset).withUnsafeBytes { 1 + APIKeyScan.newlines(in: $0[...]) } }
    }

    /// True when `text` holds `"@`: a JSON string starting with `@`, as a task reference does.
    private static func hasStringStartingWithAt(_ text: [UInt8]) -> Bool {
        text.withUnsafeBytes { APIKeyScan.offset(of: Array("\"@".utf8), in: $0) != nil }
    }

    /// A JSONL first line that carries header fields rather than a task.
    private static func headerLine(_ bytes: ArraySlice<UInt8>) -> JSONObject? {
        guard let value = try? bytes.withUnsafeBytes({ try JSONEncoding.parse($0, source: "") }),
            case .object(let object) = value,
            object["defaults"] != nil
                || (["prompt", "text", "promptFile", "textFile", "inputImages"].allSatisfy { object[$0] == nil }
                    && (object["vars"] != nil || object["rows"] != nil || object["zip"] != nil))
        else { return nil }
        return object
    }

    /// The column names of its rows (see `EntrySlots.columnNames`).
    package func rowColumnNames() -> [String] { slots.columnNames() }

    /// How many task slots the file holds: its entries, an entry with rows counting one per row.
    public var entryCount: Int { slots.count }

    /// Task slot `slot`: its entry's value (or the JSONL line's parse error), the entry's
    /// path for messages, its line (JSONL), its row if it has rows, and the entry's index.
    /// JSONL lines and rows are parsed only when asked for.
    package func entry(at slot: Int) -> (value: Result<JSON, JSONParseError>, path: FieldPath, line: Int?, row: RowSlot, index: Int) {
        let (index, row) = slots.locate(slot)
        var (value, path, line) = rawEntry(at: index)
        if case .row(.success(let found), let key?) = row, case .success(.object(var object)) = value, let file = found.values["file"] {
            object[key] = .string(key == "inputImages" ? "{file}" : file)
            value = .success(.object(object))
        }
        return (value, path, line, row, index)
    }

    private func rawEntry(at index: Int) -> (value: Result<JSON, JSONParseError>, path: FieldPath, line: Int?) {
        switch format {
        case .json:
            return (.success(jsonEntries[index]), FieldPath([.key("tasks"), .index(index)]), nil)
        case .jsonl:
            let (range, line) = lineEntries[index]
            let result: Result<JSON, JSONParseError> = text.withUnsafeBytes { raw in
                do {
                    return .success(try JSONEncoding.parse(UnsafeRawBufferPointer(rebasing: raw[range]), source: path))
                } catch let error as JSONParseError {
                    return .failure(JSONParseError(source: path, line: line, column: error.column, message: error.message))
                } catch {
                    return .failure(JSONParseError(source: path, line: line, column: 0, message: "\(error)"))
                }
            }
            return (result, FieldPath(), line)
        }
    }

    /// A collector for problems in this file's entries.
    /// The line of `path` in a JSON manifest's text (nil for JSONL: entries know their line).
    package func line(of path: FieldPath) -> Int? {
        format == .json ? JSONLocator.line(of: path, in: text) : nil
    }

    package func makeIssueCollector() -> IssueCollector {
        IssueCollector(file: path, text: format == .json ? text : nil)
    }
}
