import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// `promptFile` for image tasks (one file, or one task per file of a pattern) and the house
/// style of `prefix`/`suffix` in `defaults.image`.
@Suite struct PromptFileTests {
    @Test func promptFilesAndAHouseStyle() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("prompts/b-owl.txt", "An owl {literal braces}")
        folder.write("prompts/a-fox.txt", "A fox at dawn")
        folder.write("one.txt", "A single lighthouse")
        let loaded = try plan("""
            {"defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image", "prefix": "Linocut print:", "suffix": "two colours, {paper} paper"}},
             "vars": {"paper": "cream"},
             "tasks": [{"promptFile": "prompts/*.txt"}, {"id": "single", "promptFile": "one.txt", "suffix": ""}]}
            """, in: folder)
        let tasks = imageTasks(loaded)
        #expect(tasks.map(\.id) == ["a-fox", "b-owl", "single"])
        #expect(tasks.map(\.prompt) == [
            "Linocut print: A fox at dawn two colours, cream paper",
            "Linocut print: An owl {literal braces} two colours, cream paper",
            "Linocut print: A single lighthouse",
        ])
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"tasks": [{"prompt": "p", "promptFile": "one.txt", "model": "a/b"}, {"promptFile": "missing.txt", "model": "a/b"}]}"#, in: folder)
        }
        #expect(error.issues.count == 2, "\(error.issues)")
        #expect(error.issues[0].message.contains("not both"))
        #expect(error.issues[1].message.contains("prompt file not found"))
    }
}
