import Files
import JSON
import ManifestDiagnostics
import Support

/// One row of a `rows` source (or one file a glob matched): its columns' values, which fill
/// templates as data (a `{` in a value is literal), and where the row came from.
package struct Row: Sendable {
    package let values: [String: String]
    /// The rows file (the manifest, for inline rows) and the row's line in it.
    package let file: String
    package let line: Int?
    /// 1-based number of the row among its source's rows.
    package let number: Int
    /// Where the column names are written: a CSV header line, else the row itself.
    package let columnsLine: Int?
    /// The field path of an inline row in the manifest.
    package let inlinePath: FieldPath?
    /// True for a file a pattern matched (`{file}`, `{stem}`): such tasks are named `{stem}`.
    package var fromPattern = false
    /// The column names in their order in the source.
    package var order: [String] = []
    /// How many rows its source has (set for the files a pattern matched: chapter totals).
    package var total: Int?

    /// `file:line` of the row, for messages.
    package var location: String { line.map { "\(file):\($0)" } ?? file }
}

/// Why a row cannot be read, told at the row.
package struct RowProblem: Error, Sendable {
    package let issue: ManifestIssue
}

/// Where an entry's rows come from: a CSV or TSV file, a JSONL file of objects, an inline
/// array of objects, or the files a glob matched. Rows are decoded one at a time when a
/// task slot asks for them (`row(at:)`).
package enum RowSource: Sendable {
    case csv(file: String, table: CSVTable)
    /// The file's bytes wait in a snapshot; `lines` are the rows' ranges in it.
    case jsonl(file: String, text: FileSnapshot, lines: [Range<Int>], numbers: [Int32])
    case inline(file: String, rows: [JSON], path: FieldPath, line: Int?)
    case files(file: String, names: [String])

    package var count: Int {
        switch self {
        case .csv(_, let table): return table.count
        case .jsonl(_, _, let lines, _): return lines.count
        case .inline(_, let rows, _, _): return rows.count
        case .files(_, let names): return names.count
        }
    }

    /// The copy of the rows file its rows are read from (nil for inline rows and patterns).
    package var snapshot: FileSnapshot? {
        switch self {
        case .csv(_, let table): return table.snapshot
        case .jsonl(_, let text, _, _): return text
        case .inline, .files: return nil
        }
    }

    /// The file rows are read from, for messages.
    package var file: String {
        switch self {
        case .csv(let file, _), .jsonl(let file, _, _, _), .inline(let file, _, _, _), .files(let file, _): return file
        }
    }

    /// The column names every row has, when the source says (CSV); nil when rows differ.
    package var columns: [String]? {
        switch self {
        case .csv(_, let table): return table.columns
        case .files: return ["file", "stem"]
        default: return nil
        }
    }

    /// Row `index` (0-based), or the problem that keeps it from being read.
    package func row(at index: Int) -> Result<Row, RowProblem> {
        switch self {
        case .csv(let file, let table):
            let line = table.line(of: index)
            do {
                let fields = try table.fields(of: index)
                var values: [String: String] = [:]
                values.reserveCapacity(fields.count)
                for (name, value) in zip(table.columns, fields) { values[name] = value }
                var row = Row(values: values, file: file, line: line, number: index + 1, columnsLine: table.headerLine, inlinePath: nil)
                row.order = table.columns
                return .success(row)
            } catch {
                return .failure(RowProblem(issue: ManifestIssue(file: file, line: error.line, field: "", value: nil, message: error.message)))
            }
        case .jsonl(let file, let text, let lines, let numbers):
            let line = Int(numbers[index])
            let parsed: JSON
            do { parsed = try JSONEncoding.parse(text.bytes(in: lines[index]), source: file) } catch {
                return .failure(RowProblem(issue: ManifestIssue(file: file, line: line, field: "", value: nil, message: "invalid JSON (column \(error.column)): a rows line is one JSON object")))
            }
            return Self.objectRow(parsed, file: file, line: line, number: index + 1, path: nil)
        case .inline(let file, let rows, let path, let line):
            return Self.objectRow(rows[index], file: file, line: line, number: index + 1, path: path.appending(index))
        case .files(let file, let names):
            let name = names[index]
            let last = FileIO.lastComponent(name)
            let stem = last.lastIndex(of: ".").map { String(last[..<$0]) }.flatMap { $0.isEmpty ? nil : $0 } ?? last
            var row = Row(values: ["file": name, "stem": stem], file: file, line: nil, number: index + 1, columnsLine: nil, inlinePath: nil)
            row.fromPattern = true
            row.order = ["file", "stem"]
            row.total = names.count
            return .success(row)
        }
    }

    /// A row given as a JSON object: strings, numbers and booleans become text, `null` "".
    private static func objectRow(_ value: JSON, file: String, line: Int?, number: Int, path: FieldPath?) -> Result<Row, RowProblem> {
        guard case .object(let object) = value else {
            return .failure(RowProblem(issue: ManifestIssue(file: file, line: line, field: path?.description ?? "", value: value.excerpt(), message: "a row is a JSON object of column values")))
        }
        var values: [String: String] = [:]
        for (key, item) in object {
            switch item {
            case .string(let text): values[key] = text
            case .int(let number): values[key] = String(number)
            case .double(let number): values[key] = String(number)
            case .bool(let flag): values[key] = flag ? "true" : "false"
            case .null: values[key] = ""
            default:
                return .failure(RowProblem(issue: ManifestIssue(file: file, line: line, field: (path?.appending(key).description) ?? key, value: item.excerpt(),
                                              message: "a row's values are strings, numbers or booleans")))
            }
        }
        var row = Row(values: values, file: file, line: line, number: number, columnsLine: line, inlinePath: path)
        row.order = object.keys
        return .success(row)
    }
}

/// The rows files of one manifest, each read once: entries naming the same file share its
/// copy (one scratch file, one descriptor) and its index.
package final class RowFiles {
    /// By the file's real path and kind; nil for a file that could not be read (told once).
    var sources: [String: RowSource?] = [:]

    package init() {}
}

extension RowSource {
    /// Reads a `rows` value: a file name relative to the manifest's folder (`.csv`, `.tsv`,
    /// `.jsonl`) or an inline array of objects. Problems go to `issues`; nil then.
    package static func load(
        _ value: JSON, path: FieldPath, line: Int?, header: ManifestHeader, issues: IssueCollector, maxBytes: Int, files: RowFiles = RowFiles()
    ) -> RowSource? {
        switch value {
        case .array(let rows):
            if rows.isEmpty { issues.add(path, line: line, value: value, "rows may not be empty") ; return nil }
            return .inline(file: header.file, rows: rows, path: path, line: line)
        case .string(let name):
            guard let real = header.confinedInput(name) else {
                issues.add(path, line: line, value: value, "rows file not found in the manifest's folder (or it lies outside it; see --input-root)")
                return nil
            }
            let display = FileIO.relativeDisplay(real)
            let lower = name.lowercased()
            let isJSONL = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
            let delimiter: UInt8? = lower.hasSuffix(".csv") ? UInt8(ascii: ",") : lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") ? 0x09 : nil
            guard isJSONL || delimiter != nil else {
                issues.add(path, line: line, value: value, "a rows file is .csv, .tsv or .jsonl")
                return nil
            }
            // One read per file and kind (a `.tsv` link to a `.csv` file is read with tabs).
            let cacheKey = real + (isJSONL ? "\u{0}jsonl" : "\u{0}" + String(delimiter!))
            // A file already refused was told once, at the first entry naming it.
            if let known = files.sources[cacheKey] { return known }
            files.sources[cacheKey] = .some(nil)
            // Copied aside, read a block at a time, each row read again when its task needs it.
            let bytes: FileSnapshot
            do { bytes = try FileSnapshot(copying: real, limit: maxBytes) } catch {
                issues.add(path, line: line, value: value, error.description)
                return nil
            }
            if let keyLine = ManifestFile.lineOfAPIKey(in: bytes) {
                // Row values go into prompts: a key there would be sent. Not repeated here.
                issues.add(ManifestIssue(file: display, line: keyLine, field: "", value: nil, message: APIKeyScan.message))
                return nil
            }
            let source: RowSource
            if let delimiter {
                do { source = .csv(file: display, table: try CSVTable(file: bytes, delimiter: delimiter)) } catch {
                    issues.add(ManifestIssue(file: display, line: error.line, field: "", value: nil, message: error.message))
                    return nil
                }
            } else {
                guard let rows = jsonl(bytes, name: display) else {
                    issues.add(path, line: line, value: value, "the copy of the rows file (in the temp folder) could not be read back")
                    return nil
                }
                source = rows
            }
            files.sources[cacheKey] = source
            return source
        default:
            issues.add(path, line: line, value: value, "rows is a .csv, .tsv or .jsonl file name, or an array of row objects")
            return nil
        }
    }

    /// The non-blank lines of a JSONL rows file, parsed only when a row is asked for.
    /// Nil when the file's copy could not be read back whole.
    package static func jsonl(_ file: FileSnapshot, name: String, block: Int = FileSnapshot.block) -> RowSource? {
        var lines: [Range<Int>] = []
        var numbers: [Int32] = []
        var number: Int32 = 0
        let whole = file.scan(block: block) { bytes, offset, atEnd in
            var start = offset == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            while start < bytes.count {
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? (atEnd ? bytes.count : nil) else { break }
                number += 1
                if !bytes[start..<end].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    lines.append((offset + start)..<(offset + end))
                    numbers.append(number)
                }
                start = end + 1
            }
            return min(start, bytes.count)
        }
        return whole ? .jsonl(file: name, text: file, lines: lines, numbers: numbers) : nil
    }
}
