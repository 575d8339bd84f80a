import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// `rows`: one task per row of a CSV/TSV file, a JSONL file or an inline array; columns are
/// variables, values are data (a `{` is literal), rows and vars multiply, columns do not.
@Suite struct RowsTests {
    static let model = #""defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}"#

    /// The CSV text of `rows` (sku, name), each field quoted the RFC 4180 way.
    static func csv(_ rows: [(String, String)], bom: Bool, crlf: Bool) -> [UInt8] {
        func quote(_ field: String) -> String { "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let end = crlf ? "\r\n" : "\n"
        let text = "sku,name" + end + rows.map { "\($0.0),\(quote($0.1))" }.joined(separator: end) + end
        return (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
    }

    @Test func aThousandRowCSVExpandsToExactlyItsRowsWithTheRightNames() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let tricky = ["plain", "with, comma", "say \"hi\"", "two\nlines", "{braces} and }{", "café crème ☕", "  spaced  "]
        let rows = (0..<1000).map { (String(format: "SKU%04d", $0), tricky[$0 % tricky.count] + " #\($0)") }
        folder.write("catalog.csv", bytes: Self.csv(rows, bom: true, crlf: true))
        let plan = try plan("""
            {\(Self.model), "rows": "catalog.csv",
             "tasks": [{"id": "{sku}", "prompt": "Product photo of {name}"}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(plan.taskCount == 1000)
        #expect(tasks.map(\.id) == rows.map(\.0))
        #expect(tasks.map(\.prompt) == rows.map { "Product photo of " + $0.1 })
        #expect(tasks[3].prompt == "Product photo of two\nlines #3")
        #expect(tasks[4].prompt == "Product photo of {braces} and }{ #4")
        #expect(tasks[5].prompt.contains("café crème ☕"))
        // A row's task points at its line in the CSV (the header is line 1, row 3 spans two).
        #expect(tasks[0].origin == TaskOrigin(file: FileIO_relative(folder.path + "/catalog.csv"), line: 2))
        #expect(tasks[4].origin.line == 7)
    }

    @Test func rowsMultiplyWithVarsButColumnsOfOneRowNever() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.csv", "sku,name,colour\nA1,Mug,red\nB2,Lamp,blue\n")
        let plan = try plan("""
            {\(Self.model), "vars": {"style": ["ink", "oil"]},
             "tasks": [{"id": "{sku}", "prompt": "{name} in {colour}, {style}", "aspectRatio": ["1:1", "16:9"], "rows": "p.csv"}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(tasks.map(\.id) == ["A1-ink-1x1", "A1-ink-16x9", "A1-oil-1x1", "A1-oil-16x9", "B2-ink-1x1", "B2-ink-16x9", "B2-oil-1x1", "B2-oil-16x9"])
        #expect(tasks.map(\.prompt) == ["Mug in red, ink", "Mug in red, ink", "Mug in red, oil", "Mug in red, oil",
                                        "Lamp in blue, ink", "Lamp in blue, ink", "Lamp in blue, oil", "Lamp in blue, oil"])
    }

    @Test func jsonlAndInlineRowsAndColumnsInNonTemplateFields() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("r.jsonl", "{\"sku\": \"X\", \"ratio\": \"4:5\", \"n\": 3}\n\n{\"sku\": \"Y\", \"ratio\": \"16:9\", \"n\": 4.5}\n")
        let plan = try plan("""
            {\(Self.model), "tasks": [
              {"id": "{sku}", "prompt": "item {sku}", "aspectRatio": "{ratio}", "rows": "r.jsonl"},
              {"prompt": "inline {word}", "rows": [{"word": "alpha"}, {"word": "beta"}]}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(tasks.map(\.id) == ["X", "Y", "task-2-1", "task-2-2"])
        #expect(tasks.map(\.aspectRatio) == ["4:5", "16:9", nil, nil])
        #expect(tasks[3].prompt == "inline beta")
        #expect(tasks[1].origin.line == 3)
    }

    @Test func varsFillNonTemplateFieldsWithOneValueAndAListVariableThereIsAnError() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let single = try plan("""
            {\(Self.model), "vars": {"ratio": "4:5", "size": "2K"},
             "tasks": [{"id": "a", "prompt": "a fox", "aspectRatio": "{ratio}", "resolution": ["1K", "{size}"]}]}
            """, in: folder)
        let tasks = imageTasks(single)
        #expect(tasks.map(\.aspectRatio) == ["4:5", "4:5"])
        #expect(tasks.map(\.resolution) == ["1K", "2K"])
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {\(Self.model), "vars": {"ratio": ["1:1", "16:9"]},
                 "tasks": [{"id": "b", "prompt": "an owl", "aspectRatio": "{ratio}"}]}
                """, in: folder)
        }
        let text = error.issues.map(\.description).joined(separator: "\n")
        #expect(error.issues.contains { $0.field == "tasks[0].aspectRatio" && $0.line == 2 && $0.message.contains("{ratio} has 2 values in vars") }, "\(text)")
    }

    @Test func rowProblemsNameTheRowsFileItsLineAndTheColumn() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.csv", "sku,name,ratio\nA1,Mug,1:1\nB2,,1:1\nC3,Vase,7:3\n")
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {\(Self.model), "rows": "p.csv",
                 "tasks": [{"id": "{sku}", "prompt": "{name}", "aspectRatio": "{ratio}"},
                           {"id": "x{sku}", "prompt": "{colour}"}]}
                """, in: folder)
        }
        let text = error.issues.map(\.description).joined(separator: "\n")
        let csv = FileIO_relative(folder.path + "/p.csv")
        // The empty name (line 3) and the bad ratio (line 4), each at its row and column.
        #expect(error.issues.contains { $0.file == csv && $0.line == 3 && $0.field == "column \"name\"" && $0.message.contains("empty") }, "\(text)")
        #expect(error.issues.contains { $0.file == csv && $0.line == 4 && $0.field == "column \"ratio\"" && $0.value == "\"7:3\"" }, "\(text)")
        // A column no row has: told once, at the line naming the columns.
        let missing = error.issues.filter { $0.message.contains("no column \"colour\"") }
        #expect(missing.count == 1, "\(text)")
        #expect(missing.first?.file == csv && missing.first?.line == 1)
        #expect(error.issues.count == 3, "\(text)")
    }

    @Test func aJSONLManifestTakesRowsFromItsHeaderLine() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.tsv", "sku\tname\nA1\tMug, large\nB2\t\"Lamp\"\"s\"\n")
        let plan = try plan("""
            {"rows": "p.tsv", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}}
            {"id": "{sku}-front", "prompt": "Front of {name}"}
            {"id": "{sku}-back", "prompt": "Back of {name}"}
            """, in: folder, name: "m.jsonl")
        #expect(imageTasks(plan).map(\.id) == ["A1-front", "B2-front", "A1-back", "B2-back"])
        #expect(imageTasks(plan)[1].prompt == "Front of Lamp\"s")
    }

    @Test func aRowsFileHoldingAnAPIKeyIsRefusedWithoutRepeatingIt() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        // Built at run time: nothing in the tree should look like a real key.
        let fakeKey = "sk-" + "or-v1-" + "not-a-real-key-ffff"
        folder.write("p.csv", "sku,note\nA1,ok\nB2,\(fakeKey)\n")
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{\#(Self.model), "rows": "p.csv", "tasks": [{"id": "{sku}", "prompt": "{note}"}]}"#, in: folder)
        }
        #expect(error.issues.count == 1 && error.issues[0].line == 3, "\(error.issues)")
        #expect(!error.description.contains("not-a-real-key-ffff"))
    }

    @Test func csvSyntaxErrorsNameTheLine() throws {
        let cases: [(String, Int, String)] = [
            ("a,b\n1,\"open\n2,3\n", 2, "never closed"),
            ("a,b\n1,2\n1,2,3\n", 3, "3 fields"),
            ("a,b\n1,x\"y\n", 2, "unquoted"),
            ("a,a\n1,2\n", 1, "twice"),
            ("", 1, "empty"),
        ]
        for (text, line, words) in cases {
            #expect(throws: CSVTable.SyntaxError.self) { try CSVTable(bytes: Array(text.utf8), delimiter: UInt8(ascii: ",")) }
            do { _ = try CSVTable(bytes: Array(text.utf8), delimiter: UInt8(ascii: ",")) } catch {
                #expect(error.line == line, "\(text.debugDescription): \(error.message)")
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
        let bad = try CSVTable(bytes: Array("a\tb\n1\tok\n2\t".utf8) + [0x66, 0xFF, 0x0A], delimiter: 0x09)
        #expect(try bad.fields(of: 0) == ["1", "ok"])
        #expect(throws: CSVTable.SyntaxError.self) { try bad.fields(of: 1) }
        do { _ = try bad.fields(of: 1) } catch { #expect(error.message.contains("byte offset 12"), "\(error.message)") }
    }

    /// The columns of JSONL and inline rows (results.csv's) are in the order they first
    /// appear, though validation decodes the rows in blocks on two threads in any order.
    @Test func rowColumnsAreInTheOrderTheyFirstAppearAcrossValidationBlocks() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        // New columns only far into the file, past the first blocks; `b` before `a` in one row.
        let lines = (0..<1200).map { index -> String in
            switch index {
            case 700: return #"{"sku": "s\#(index)", "late": "x", "b": "1", "a": "2"}"#
            case 1100: return #"{"a": "3", "last": "y", "sku": "s\#(index)"}"#
            default: return #"{"sku": "s\#(index)"}"#
            }
        }
        folder.write("r.jsonl", lines.joined(separator: "\n") + "\n")
        let plan = try plan("""
            {\(Self.model), "tasks": [
              {"id": "{sku}", "prompt": "item {sku}", "rows": "r.jsonl"},
              {"id": "w-{word}", "prompt": "inline {word}", "rows": [{"word": "alpha"}, {"extra": "1", "word": "beta"}]}]}
            """, in: folder)
        #expect(plan.taskCount == 1202)
        let folderPath = try #require(plan.manifests.first?.header.outputFolder)
        #expect(plan.rowColumnNames(in: nil) == [folderPath: ["sku", "late", "b", "a", "last", "word", "extra"]])
    }

    /// Columns are counted as rows are decoded, each row once whatever the order; the rows
    /// never decoded are decoded when the names are asked for, and only those.
    @Test func rowColumnsSeenDecodeOnlyTheRowsNotSeen() {
        let seen = RowColumnsSeen(rows: 70)
        seen.record(row: 66, columns: ["late", "a"])
        seen.record(row: 2, columns: ["b", "a"])
        seen.record(row: 0, columns: ["sku"])
        seen.record(row: 66, columns: ["never"])  // decoded again (the run): counted once
        var decoded: [Int] = []
        let names = seen.names { index in
            decoded.append(index)
            return index == 1 ? ["c"] : ["sku"]
        }
        #expect(names == ["sku", "c", "b", "a", "late"])
        #expect(decoded == [1] + Array(3..<66) + [67, 68, 69])
        // Now every row is counted: nothing is decoded again.
        #expect(seen.names { _ in Issue.record("decoded again"); return [] } == names)
    }
}

/// The path as mediabatch shows it in messages (relative to the current directory).
func FileIO_relative(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    let real = (path as NSString).resolvingSymlinksInPath
    return real.hasPrefix(cwd + "/") ? String(real.dropFirst(cwd.count + 1)) : real
}
