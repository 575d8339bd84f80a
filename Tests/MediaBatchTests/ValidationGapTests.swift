import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// The validation gaps a new user's trial found (issue 15), one test each.
@Suite struct ValidationGapTests {
    static let model = #""defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}"#

    @Test func anEmptyPromptOrTextAfterExpansionIsAnError() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{\#(Self.model), "vars": {"subject": ["fox", ""], "line": [" "]}, "tasks": [{"id": "a-{subject}", "prompt": "{subject}"}, {"type": "tts", "id": "b", "text": "{line}"}]}"#, in: folder)
        }
        let messages = error.issues.map(\.description)
        #expect(messages.count == 2, "\(messages)")
        #expect(messages.contains { $0.contains("tasks[0].prompt") && $0.contains("prompt is empty once its variables are filled in") }, "\(messages)")
        #expect(messages.contains { $0.contains("tasks[1].text") && $0.contains("empty") }, "\(messages)")
    }

    @Test func aTextFileThatIsNotUTF8IsAnErrorNamingTheByteOffset() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("bad.txt", bytes: Array("Hello, wor".utf8) + [0xC3, 0x28] + Array("ld".utf8))
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"tasks": [{"type": "tts", "id": "t", "textFile": "bad.txt"}]}"#, in: folder)
        }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].message.contains("not valid UTF-8 (first bad byte at offset 10)"), "\(error.issues)")
    }

    @Test func idsDifferingOnlyInCaseClashAndNamesAreTransliterated() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {\(Self.model), "tasks": [
                  {"id": "Fox", "prompt": "p"},
                  {"id": "fox", "prompt": "q"}]}
                """, in: folder)
        }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].message.contains("task fox (\(folder.path)/m.json:3) would write a file differing only in case from that of task Fox (\(folder.path)/m.json:2)"),
                "\(error.issues)")
        let names = try plan(#"{\#(Self.model), "tasks": [{"id": "café crème", "prompt": "p"}, {"id": "Straße Øresund Œuvre", "prompt": "q"}]}"#, in: folder)
        #expect(imageTasks(names).map(\.id) == ["cafe-creme", "Strasse-Oresund-OEuvre"])
    }

    @Test func aDuplicateIdNamesBothTasksWithTheirLinesAndNoTypeNames() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {\(Self.model),
                 "tasks": [
                  {"id": "dup", "prompt": "p"},
                  {"id": "dup", "prompt": "q"}]}
                """, in: folder, name: "dupid.json")
        }
        let text = error.description
        #expect(text.contains("task dup (\(folder.path)/dupid.json:4) would write the same file as task dup (\(folder.path)/dupid.json:3)"), "\(text)")
        #expect(!text.contains("TaskOrigin") && !text.contains("Optional("), "\(text)")
    }

    @Test func aCommaSeparatedStringWhereAListWasMeantIsAWarning() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let loaded = try plan(#"{\#(Self.model), "vars": {"product": "mug, lamp", "size": ["a,b"]}, "tasks": [{"id": "{product}", "prompt": "{size}"}]}"#, in: folder)
        #expect(loaded.taskCount == 1)
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.description.contains(#"vars.product = "mug, lamp": one value holding commas; for 2 values write a list: ["mug", "lamp"]"#) == true,
                "\(loaded.warnings)")
    }
}
