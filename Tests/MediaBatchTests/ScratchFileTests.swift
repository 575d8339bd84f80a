import Files
import Foundation
import Testing

/// `plan`'s listing lines wait in a `ScratchFile`: whatever is put in reads back the same,
/// in any order, across the blocks it is written and read in, with or without a temp folder.
@Suite struct ScratchFileTests {
    private static func lines(_ count: Int) -> [String] {
        (0..<count).map { "task-\($0)\timage\tgoogle/gemini\t16:9\t\(String(repeating: "é", count: $0 % 97))\tout/task-\($0).*" }
    }

    private static func roundTrip(_ scratch: ScratchFile, _ lines: [String]) {
        let places = lines.map(scratch.append)
        // In order (one read a block), then backwards and scattered (a read each).
        for (line, place) in zip(lines, places) { #expect(scratch.text(at: place) == line) }
        for index in stride(from: lines.count - 1, through: 0, by: -7) { #expect(scratch.text(at: places[index]) == lines[index]) }
        // Text added after reads began is still there.
        let late = scratch.append("late line ← @producer")
        #expect(scratch.text(at: late) == "late line ← @producer")
        #expect(scratch.text(at: places[0]) == lines[0])
    }

    @Test func whatIsPutInReadsBackInAnyOrder() {
        // ~1.5 MB: many 64 KiB blocks, lines straddling their edges.
        Self.roundTrip(ScratchFile(), Self.lines(12_000))
    }

    @Test func withoutATempFolderTheTextStaysInMemory() {
        Self.roundTrip(ScratchFile(in: "/nonexistent-mediabatch-folder"), Self.lines(3_000))
    }
}
