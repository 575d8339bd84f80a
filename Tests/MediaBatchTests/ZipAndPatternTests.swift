import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// Zipped vars advance together; file patterns make one task per matching file.
@Suite struct ZipAndPatternTests {
    static let model = #""defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}"#

    @Test func zippedVarsAdvanceTogetherAndOtherVarsStillMultiply() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let plan = try plan("""
            {\(Self.model), "vars": {"sku": ["A1", "B2"], "name": ["Mug", "Lamp"], "style": ["ink", "oil"]},
             "zip": [["sku", "name"]],
             "tasks": [{"id": "{sku}", "prompt": "{name} in {style}"}]}
            """, in: folder)
        let tasks = imageTasks(plan)
        #expect(tasks.map(\.id) == ["A1-ink", "A1-oil", "B2-ink", "B2-oil"])
        #expect(tasks.map(\.prompt) == ["Mug in ink", "Mug in oil", "Lamp in ink", "Lamp in oil"])
    }

    @Test func zippedListsOfDifferentLengthsAreAnError() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {\(Self.model), "vars": {"sku": ["A1", "B2", "C3"], "name": ["Mug", "Lamp"]},
                 "zip": [["sku", "name"], ["sku", "nope"]],
                 "tasks": [{"id": "{sku}", "prompt": "{name}"}]}
                """, in: folder)
        }
        let messages = error.issues.map(\.description)
        #expect(messages.contains { $0.contains("zip[0]") && $0.contains("sku has 3, name has 2") }, "\(messages)")
        #expect(messages.contains { $0.contains("zip[1]") && $0.contains("\"nope\"") }, "\(messages)")
    }

    @Test func aPatternMakesOneTaskPerFileInNameOrderAndALaterFileIsANewTask() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for name in ["b.jpg", "a.jpg", "c.png", ".hidden.jpg"] { folder.write("incoming/" + name, bytes: png) }
        folder.write("chapters/02-two.md", "Chapter two.")
        folder.write("chapters/01-one.md", "Chapter one.")
        let manifest = """
            {\(Self.model), "tasks": [
              {"prompt": "Remove the background of {file}", "inputImages": "incoming/*.jpg"},
              {"type": "tts", "id": "ch-{stem}", "textFile": "chapters/*.md"}]}
            """
        let first = try plan(manifest, in: folder).allTasks()
        #expect(first.map(\.id) == ["a", "b", "ch-01-one", "ch-02-two"])
        guard case .image(let image) = first[0], case .speech(let speech) = first[3] else { Issue.record("kinds"); return }
        #expect(image.inputImages.count == 1 && image.inputImages[0].hasSuffix("/incoming/a.jpg"))
        #expect(image.prompt == "Remove the background of incoming/a.jpg")
        #expect(speech.text == "Chapter two.")
        folder.write("incoming/a2.jpg", bytes: png)
        let second = try plan(manifest, in: folder).allTasks()
        #expect(second.map(\.id) == ["a", "a2", "b", "ch-01-one", "ch-02-two"])
    }

    @Test func aProblemWithAMatchedFileNamesTheFile() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("chapters/01.md", "Fine.")
        folder.write("chapters/02.md", bytes: [0x41, 0xFF])
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"tasks": [{"type": "tts", "textFile": "chapters/*.md"}]}"#, in: folder)
        }
        #expect(error.issues.count == 1, "\(error.issues)")
        #expect(error.issues.first?.description.contains("offset 1) (matched file chapters/02.md)") == true, "\(error.issues)")
    }

    @Test func aPatternMatchingNothingIsAnErrorUnlessOptional() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/incoming", withIntermediateDirectories: true)
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{\#(Self.model), "tasks": [{"prompt": "p", "inputImages": "incoming/*.jpg"}]}"#, in: folder)
        }
        #expect(error.issues.count == 1 && error.issues[0].message.contains("no file matches"), "\(error.issues)")
        let optional = try plan(#"{\#(Self.model), "tasks": [{"prompt": "p", "inputImages": "incoming/*.jpg", "optional": true}, {"id": "x", "prompt": "q"}]}"#, in: folder)
        #expect(optional.allTasks().map(\.id) == ["x"])
        #expect(optional.warnings.count == 1 && optional.warnings[0].message.contains("optional"))
        // A pattern may not climb out of the manifest's folder.
        let escape = try #require(throws: ManifestError.self) {
            try plan(#"{\#(Self.model), "tasks": [{"prompt": "p", "inputImages": "../*.jpg"}]}"#, in: folder)
        }
        #expect(escape.issues.first?.message.contains("outside the manifest's folder") == true, "\(escape.issues)")
    }
}
