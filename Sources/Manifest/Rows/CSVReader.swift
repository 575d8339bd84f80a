import Files
import Support

/// A CSV or TSV file's records, read per RFC 4180: the first record names the columns,
/// fields may be quoted (`"a, b"`, `"say ""hi"""`, line breaks inside quotes), records end
/// at LF or CRLF, and a UTF-8 byte order mark at the start is skipped.
///
/// One pass at load, a block at a time, indexes where each record starts (and on which
/// line) and checks the quoting and the field counts; a record's fields are read again and
/// decoded only when asked for (`fields(of:)`). The file's bytes wait in a `FileSnapshot`,
/// not in memory: a hundred thousand rows cost the index, a dozen bytes each.
public struct CSVTable: Sendable {
    /// Why a CSV file cannot be read: its line and what is wrong.
    public struct SyntaxError: Error, Sendable, Equatable {
        public let line: Int
        public let message: String
    }

    public let delimiter: UInt8
    public let columns: [String]
    /// Line of the header record (1, or later after blank lines).
    public let headerLine: Int
    private let file: FileSnapshot
    /// Start offset and first line of every data record.
    private let starts: [Int]
    private let lines: [Int32]

    public var count: Int { starts.count }

    /// The copy of the file the rows are read from (shared by the entries naming the file).
    package var snapshot: FileSnapshot { file }

    /// Reads `bytes` (a whole file held in memory); `delimiter` is `,` or a tab.
    public init(bytes: [UInt8], delimiter: UInt8, block: Int = FileSnapshot.block) throws(SyntaxError) {
        try self.init(file: FileSnapshot(bytes: bytes), delimiter: delimiter, block: block)
    }

    /// Reads `file` front to back, `block` bytes at a time; `delimiter` is `,` or a tab.
    public init(file: FileSnapshot, delimiter: UInt8, block: Int = FileSnapshot.block) throws(SyntaxError) {
        self.delimiter = delimiter
        self.file = file
        var starts: [Int] = []
        var lines: [Int32] = []
        var header: (fields: [String], line: Int)?
        var failure: SyntaxError?
        var line = 1
        let whole = file.scan(block: block) { bytes, offset, atEnd in
            let skip = offset == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var scanner = CSVScanner(bytes: bytes, base: offset, delimiter: delimiter, position: skip, complete: atEnd)
            scanner.line = line
            var consumed = skip
            do throws(SyntaxError) {
                while let record = try scanner.nextRecord(decode: header == nil) {
                    consumed = scanner.position
                    line = scanner.line
                    if record.isBlank { continue }
                    guard let expected = header?.fields.count else {
                        header = (try Self.checkedColumns(record.fields, line: record.line), record.line)
                        continue
                    }
                    guard record.fieldCount == expected else {
                        throw SyntaxError(line: record.line, message: "this row has \(record.fieldCount) field\(record.fieldCount == 1 ? "" : "s"), the header has \(expected) (a field holding the delimiter must be quoted)")
                    }
                    starts.append(record.start)
                    lines.append(Int32(truncatingIfNeeded: record.line))
                }
            } catch {
                failure = error
                return nil  // the first problem is told: nothing more is read
            }
            return consumed
        }
        if let failure { throw failure }
        guard whole else { throw SyntaxError(line: line, message: "the copy of the rows file (in the temp folder) could not be read back") }
        guard let header else { throw SyntaxError(line: 1, message: "the file is empty: the first line must name the columns") }
        columns = header.fields
        headerLine = header.line
        self.starts = starts
        self.lines = lines
    }

    /// Column names must be non-empty and distinct, or a template could not name them.
    private static func checkedColumns(_ fields: [String], line: Int) throws(SyntaxError) -> [String] {
        var seen = Set<String>()
        for (index, raw) in fields.enumerated() {
            let name = raw.trimmingWhitespace()
            guard !name.isEmpty else { throw SyntaxError(line: line, message: "column \(index + 1) of the header has no name") }
            guard seen.insert(name).inserted else { throw SyntaxError(line: line, message: "column \"\(name)\" appears twice in the header") }
        }
        return fields.map { $0.trimmingWhitespace() }
    }

    /// The line on which data record `index` (0-based) starts.
    public func line(of index: Int) -> Int { Int(lines[index]) }

    /// The fields of data record `index`, decoded; not valid UTF-8 is an error naming the
    /// byte offset in the file.
    public func fields(of index: Int) throws(SyntaxError) -> [String] {
        let start = starts[index]
        let end = index + 1 < starts.count ? starts[index + 1] : file.count
        let bytes = file.bytes(in: start..<end)
        guard bytes.count == end - start else {
            throw SyntaxError(line: line(of: index), message: "this row could not be read back from the copy of the rows file (in the temp folder)")
        }
        var failure: SyntaxError?
        let fields = bytes.withUnsafeBytes { raw -> [String] in
            var scanner = CSVScanner(bytes: raw, base: start, delimiter: delimiter, position: 0, complete: true)
            scanner.line = line(of: index)
            do throws(SyntaxError) { return try scanner.nextRecord(decode: true)?.fields ?? [] } catch {
                failure = error
                return []
            }
        }
        if let failure { throw failure }
        return fields
    }
}

/// The state machine under `CSVTable`: reads one record from `position`, counting lines.
/// `bytes` may be a block of a larger file (`base` is its offset there): a record that
/// runs past a block that is not the file's last (`complete` false) is not read but left for
/// the next block (`nextRecord` returns nil, `position` unmoved).
struct CSVScanner {
    struct Record {
        /// Its offset in the file.
        let start: Int
        let line: Int
        let fieldCount: Int
        /// Decoded only when asked for.
        let fields: [String]
        let isBlank: Bool
    }

    /// The record being read ran past the bytes, which are not the file's end.
    private struct RanOut: Error {}

    let bytes: UnsafeRawBufferPointer
    let base: Int
    let delimiter: UInt8
    let complete: Bool
    var position: Int
    var line = 1

    init(bytes: UnsafeRawBufferPointer, base: Int, delimiter: UInt8, position: Int, complete: Bool) {
        self.bytes = bytes
        self.base = base
        self.delimiter = delimiter
        self.position = position
        self.complete = complete
    }

    private static let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// The next record, or nil at the end of the bytes (or of a block, mid-record).
    mutating func nextRecord(decode: Bool) throws(CSVTable.SyntaxError) -> Record? {
        let (position, line) = (self.position, self.line)
        do {
            return try record(decode: decode)
        } catch let error as CSVTable.SyntaxError {
            throw error
        } catch {
            (self.position, self.line) = (position, line)  // ran out: the next block reads it
            return nil
        }
    }

    private mutating func record(decode: Bool) throws -> Record? {
        guard position < bytes.count else { return nil }
        let start = position, startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var fieldCount = 1
        var fieldStart = position
        var quoted = false
        var sawAnything = false
        func finish(_ end: Int) throws(CSVTable.SyntaxError) {
            guard decode else { return }
            let raw = quoted ? field : Array(bytes[fieldStart..<end])
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw CSVTable.SyntaxError(line: line, message: "not valid UTF-8 (byte offset \(base + Self.invalidOffset(bytes, from: fieldStart, to: end)))")
            }
            fields.append(text)
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == Self.quote && position == fieldStart {
                quoted = true
                sawAnything = true
                try readQuoted(into: &field, decode: decode, startLine: startLine)
                continue
            }
            if byte == delimiter {
                try finish(position)
                field.removeAll(keepingCapacity: true)
                quoted = false
                fieldCount += 1
                sawAnything = true
                position += 1
                fieldStart = position
                continue
            }
            if byte == Self.carriageReturn && position + 1 == bytes.count && !complete { throw RanOut() }  // CRLF split?
            if byte == Self.newline || (byte == Self.carriageReturn && (position + 1 == bytes.count || bytes[position + 1] == Self.newline)) {
                try finish(position)
                position += byte == Self.carriageReturn && position + 1 < bytes.count ? 2 : 1
                line += 1
                return Record(start: base + start, line: startLine, fieldCount: fieldCount, fields: fields, isBlank: !sawAnything)
            }
            if quoted == false, byte == Self.quote {
                throw CSVTable.SyntaxError(line: line, message: "a '\"' inside an unquoted field (quote the whole field and write the quote as '\"\"')")
            }
            sawAnything = true
            position += 1
        }
        guard complete else { throw RanOut() }
        try finish(position)
        return Record(start: base + start, line: startLine, fieldCount: fieldCount, fields: fields, isBlank: !sawAnything)
    }

    /// A quoted field from its opening quote: up to the closing quote, `""` standing for
    /// one quote; what follows must end the field.
    private mutating func readQuoted(into field: inout [UInt8], decode: Bool, startLine: Int) throws {
        position += 1
        while true {
            guard position < bytes.count else {
                guard complete else { throw RanOut() }
                throw CSVTable.SyntaxError(line: startLine, message: "a quoted field is never closed (a '\"' inside a quoted field is written '\"\"')")
            }
            let inner = bytes[position]
            if inner == Self.quote {
                if position + 1 == bytes.count && !complete { throw RanOut() }  // `""` split?
                if position + 1 < bytes.count && bytes[position + 1] == Self.quote {
                    if decode { field.append(Self.quote) }
                    position += 2
                    continue
                }
                position += 1
                break
            }
            if inner == Self.newline { line += 1 }
            if decode { field.append(inner) }
            position += 1
        }
        if position < bytes.count, bytes[position] != delimiter, bytes[position] != Self.newline,
            !(bytes[position] == Self.carriageReturn && (position + 1 == bytes.count || bytes[position + 1] == Self.newline))
        {
            throw CSVTable.SyntaxError(line: line, message: "text after a closing quote (a '\"' inside a quoted field is written '\"\"')")
        }
    }

    /// The offset in `bytes` of the first byte that breaks UTF-8 in `from..<to`.
    static func invalidOffset(_ bytes: [UInt8], from start: Int, to end: Int) -> Int {
        bytes.withUnsafeBytes { invalidOffset($0, from: start, to: end) }
    }

    static func invalidOffset(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var iterator = bytes[start..<end].makeIterator()
        var decoder = UTF8()
        var offset = start
        while true {
            let before = offset
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return end
            case .error: return before
            }
        }
    }
}
