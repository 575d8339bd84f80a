import Files
import Foundation
import Testing
import TestSupport

/// Journals are read a line at a time in blocks (`FileIO.forEachLine`): every line comes out
/// whole and once, wherever the blocks cut, with or without a last newline.
@Suite struct FileLinesTests {
    private func lines(of path: String, from offset: Int = 0) throws -> (lines: [String], read: Int) {
        var lines: [String] = []
        let read = try FileIO.forEachLine(path, from: offset) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return (lines, read)
    }

    @Test func everyLineComesOutWholeAcrossBlocks() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        // ~3 MiB of lines of varied length, one of 2.5 MiB (longer than a block), empty lines,
        // and a last line without its newline.
        var expected = (0..<20_000).map { "{\"event\":\"done\",\"key\":\"k\($0)\",\"pad\":\"\(String(repeating: "x", count: $0 % 173))\"}" }
        expected.insert(String(repeating: "é", count: 1_310_720), at: 7_000)
        expected.insert("", at: 100)
        expected.append("last line, no newline")
        let text = expected.joined(separator: "\n")
        folder.write("journal.jsonl", text)
        let (lines, read) = try lines(of: folder.path + "/journal.jsonl")
        #expect(read == text.utf8.count)
        #expect(lines.count == expected.count)
        #expect(lines == expected)

        // From an offset (a resume snapshot covers the start): the lines after it.
        let offset = expected[0..<5].map { $0.utf8.count + 1 }.reduce(0, +)
        let tail = try self.lines(of: folder.path + "/journal.jsonl", from: offset)
        #expect(tail.lines == Array(expected[5...]))
        #expect(tail.read == text.utf8.count - offset)
    }

    @Test func anEmptyFileHasNoLinesAndAFolderIsNoFile() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("empty", "")
        #expect(try lines(of: folder.path + "/empty").lines.isEmpty)
        #expect(throws: FileError.self) { try lines(of: folder.path) }
    }
}
