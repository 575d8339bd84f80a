import Files
import Foundation
import JSON
import Manifest
import ManifestDiagnostics
import Testing
import TestSupport

/// Rows files are read a block at a time and kept in a scratch copy, not in memory: a record
/// split between two blocks (a quoted line break, a CRLF, a `""`, a BOM, a multi-byte
/// character) reads as it does whole, and the rows read again later are the rows as loaded.
@Suite struct StreamedRowsTests {
    /// 1,000 rows with everything a block boundary can split: quotes, commas, line breaks
    /// (LF and CRLF) inside quoted fields, braces, non-ASCII, CRLF record ends, a BOM.
    static func trickyCSV() -> (bytes: [UInt8], rows: [[String]]) {
        var rows: [[String]] = []
        var text = "sku,name,note\r\n"
        func quote(_ field: String) -> String { "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        for i in 0..<1000 {
            let name = i % 3 == 0 ? "Mug \"No. \(i)\", {classic}" : i % 3 == 1 ? "crème brûlée \(i) — 日本" : "two\nlines\r\n\(i)"
            let note = i % 4 == 0 ? "" : "n\(i),\"\""
            rows.append(["SKU\(i)", name, note])
            text += "SKU\(i),\(quote(name)),\(quote(note))" + (i % 2 == 0 ? "\r\n" : "\n")
        }
        return ([0xEF, 0xBB, 0xBF] + Array(text.utf8), rows)
    }

    @Test func aCSVReadInSmallBlocksReadsAsItDoesWhole() throws {
        let (bytes, rows) = Self.trickyCSV()
        let whole = try CSVTable(bytes: bytes, delimiter: UInt8(ascii: ","))
        #expect(whole.columns == ["sku", "name", "note"])
        #expect(whole.count == 1000)
        for index in 0..<1000 { #expect(try whole.fields(of: index) == rows[index]) }
        for block in [1, 2, 3, 5, 7, 16, 61, 256] {
            let table = try CSVTable(bytes: bytes, delimiter: UInt8(ascii: ","), block: block)
            #expect(table.columns == whole.columns && table.count == whole.count, "block \(block)")
            for index in 0..<1000 {
                #expect(table.line(of: index) == whole.line(of: index), "block \(block), row \(index)")
                #expect(try table.fields(of: index) == rows[index], "block \(block), row \(index)")
            }
        }
    }

    @Test func syntaxErrorsNameTheSameLineWhateverTheBlock() throws {
        let cases: [(String, Int)] = [("a,b\n1,2\n3,\"open\n4,5\n", 3), ("a,b\n1,2\n\n1,2,3\n", 4), ("a,b\r\n1,2\r\n3,x\"y\r\n", 3)]
        for (text, line) in cases {
            for block in [1, 2, 4, 1 << 20] {
                do {
                    _ = try CSVTable(bytes: Array(text.utf8), delimiter: UInt8(ascii: ","), block: block)
                    Issue.record("\(text.debugDescription) read without error with block \(block)")
                } catch {
                    #expect(error.line == line, "\(text.debugDescription), block \(block): \(error.message)")
                }
            }
        }
    }

    @Test func jsonlRowsReadInSmallBlocksKeepTheirLines() throws {
        let text = "\u{FEFF}{\"a\": \"x\"}\n\n  \n{\"a\": \"é{y}\"}\r\n{\"a\": 3}"
        let whole = try #require(RowSource.jsonl(FileSnapshot(bytes: Array(text.utf8)), name: "r.jsonl"))
        for block in [1, 3, 8, 1 << 20] {
            let source = try #require(RowSource.jsonl(FileSnapshot(bytes: Array(text.utf8)), name: "r.jsonl", block: block))
            #expect(source.count == 3, "block \(block)")
            for index in 0..<3 {
                let row = try source.row(at: index).get()
                #expect(row.values == (try whole.row(at: index).get()).values, "block \(block)")
                #expect(row.line == [1, 4, 5][index], "block \(block)")
            }
        }
        #expect(try whole.row(at: 1).get().values == ["a": "é{y}"])
    }

    @Test func aKeySplitBetweenTwoBlocksIsFoundOnItsLine() {
        let text = Array("a,b\n1,2\n3,sk-or-v1-abc\n".utf8)
        for block in [1, 2, 5, 6, 7, 13, 1 << 20] {
            #expect(ManifestFile.lineOfAPIKey(in: FileSnapshot(bytes: text), block: block) == 3, "block \(block)")
        }
        #expect(ManifestFile.lineOfAPIKey(in: FileSnapshot(bytes: Array("a\nsk-or\n-x".utf8)), block: 2) == nil)
        // Two keys in different blocks: the first one's line.
        let two = Array("h\nsk-or-a\nx\ny\nz\nsk-or-b\n".utf8)
        for block in [2, 3, 9, 1 << 20] {
            #expect(ManifestFile.lineOfAPIKey(in: FileSnapshot(bytes: two), block: block) == 2, "block \(block)")
        }
    }

    @Test func entriesNamingOneRowsFileShareOneCopyOfItAndALinkOfAnotherKindIsReadAsItsKind() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("rows.csv", "sku,name\nS1,a\nS2,c\n")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/rows.tsv", withDestinationPath: folder.path + "/rows.csv")
        let manifest = folder.write("m.json", #"{"tasks": []}"#)
        let header = try ManifestFile(path: manifest, outputRoot: folder.path + "/out").header
        let files = RowFiles()
        func load(_ name: String) -> RowSource? {
            RowSource.load(.string(name), path: FieldPath(), line: nil, header: header, issues: IssueCollector(file: manifest, text: nil), maxBytes: 1 << 20, files: files)
        }
        let first = try #require(load("rows.csv"))
        let second = try #require(load("rows.csv"))
        // One copy (one scratch file, one descriptor) for both entries.
        #expect(first.snapshot != nil && first.snapshot === second.snapshot)
        #expect(first.columns == ["sku", "name"])
        // The same file through a .tsv name: read with tabs, its own copy.
        let tabs = try #require(load("rows.tsv"))
        #expect(tabs.columns == ["sku,name"])
        #expect(tabs.snapshot !== first.snapshot)
        #expect(try tabs.row(at: 0).get().values == ["sku,name": "S1,a"])
    }

    @Test func aSnapshotReadsTheFileAsItWasWhenLoadedNotAsEditedSince() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let path = folder.write("rows.csv", "sku\nA1\nA2\n")
        let snapshot = try FileSnapshot(copying: path, limit: 1 << 20)
        // Edited in place (same file, same length): a spreadsheet saving over it mid-run.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("sku\nB1\nB2\n".utf8))
        try handle.close()
        #expect(String(decoding: snapshot.bytes(in: 0..<snapshot.count), as: UTF8.self) == "sku\nA1\nA2\n")
        let table = try CSVTable(file: snapshot, delimiter: UInt8(ascii: ","))
        #expect(try table.fields(of: 1) == ["A2"])
        #expect(throws: FileError.self) { try FileSnapshot(copying: path, limit: 4) }
    }

    @Test func pathsSharingAHashAreToldApartAndAClashIsStillFound() {
        // Every path has the same hash: the claims must compare the paths themselves.
        var claims = OutputClaims(capacity: 4, hash: { _ in 7 })
        let tasks = [("a", "out/a"), ("b", "out/b"), ("c", "out/A"), ("d", "out/b")]
        func task(_ claim: OutputClaims.Claim) -> (id: String, key: String)? { (tasks[Int(claim.ordinal)].0, tasks[Int(claim.ordinal)].1) }
        #expect(claims.claim("out/a", by: OutputClaims.Claim(manifest: 0, entry: 0, ordinal: 0), task: task) == nil)
        #expect(claims.claim("out/b", by: OutputClaims.Claim(manifest: 0, entry: 0, ordinal: 1), task: task) == nil)
        let differingInCase = claims.claim("out/A", by: OutputClaims.Claim(manifest: 0, entry: 0, ordinal: 2), task: task)
        #expect(differingInCase?.id == "a" && differingInCase?.key == "out/a")
        let same = claims.claim("out/b", by: OutputClaims.Claim(manifest: 0, entry: 0, ordinal: 3), task: task)
        #expect(same?.id == "b" && same?.key == "out/b")
        #expect(claims.claimant(of: "OUT/B", task: task)?.id == "b")
        #expect(claims.claimant(of: "out/c", task: task) == nil)
    }
}
