import Manifest
import ManifestDiagnostics
import Testing
import TestSupport

/// A field misspelled by a letter or two is named with the field it probably meant.
@Suite struct SuggestionTests {
    @Test func aMisspelledFieldSuggestsTheFieldItProbablyMeant() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"name": "m", "tasks": [{"id": "x", "promt": "hi", "aspectRatoi": "1:1", "zzz": 1, "model": "google/gemini-2.5-flash-image"}]}"#, in: folder)
        }
        let messages = error.issues.map(\.description)
        #expect(messages.contains { $0.contains("tasks[0].promt") && $0.contains("did you mean prompt?") }, "\(messages)")
        #expect(messages.contains { $0.contains("tasks[0].aspectRatoi") && $0.contains("did you mean aspectRatio?") }, "\(messages)")
        // Nothing close: no guess.
        #expect(messages.contains { $0.contains("tasks[0].zzz") && !$0.contains("did you mean") }, "\(messages)")
    }
}
