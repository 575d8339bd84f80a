import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// Built-in `{date}`, `{time}`, `{run}` under a fixed clock, and `--var` settings.
@Suite struct RecurringRunTests {
    static let model = #""defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}"#

    @Test func builtInVariablesUnderAFixedClock() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let file = folder.write("potd.json", """
            {\(Self.model), "tasks": [{"id": "potd-{date}", "prompt": "Picture of the day for {date} at {time}", "output": "{date}/{run}"}]}
            """)
        // 2026-11-28 07:05:09 UTC.
        let context = ManifestContext(start: 1_795_849_509, utc: true)
        let tasks = imageTasks(try BatchPlan(paths: [file], outputRoot: folder.path + "/out", context: context))
        #expect(tasks.map(\.id) == ["potd-2026-11-28"])
        #expect(tasks[0].prompt == "Picture of the day for 2026-11-28 at 070509")
        #expect(tasks[0].output.baseName == "2026-11-28/2026-11-28T070509")
        // The next day is a new file, never yesterday's.
        let tomorrow = imageTasks(try BatchPlan(paths: [file], outputRoot: folder.path + "/out", context: ManifestContext(start: 1_795_849_509 + 86_400, utc: true)))
        #expect(tomorrow[0].output.baseName.hasPrefix("2026-11-29/"))
    }

    @Test func varSettingsSetAndOverrideVariables() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let file = folder.write("m.json", """
            {\(Self.model), "vars": {"subject": ["fox", "owl"]}, "tasks": [{"id": "{subject}-{mood}", "prompt": "A {mood} {subject}, {date}"}]}
            """)
        let variables = [ManifestContext.parseVariable("subject=cat")!, ManifestContext.parseVariable("mood=calm=ish")!, ManifestContext.parseVariable("date=2020-01-01")!]
        let tasks = imageTasks(try BatchPlan(paths: [file], outputRoot: folder.path + "/out", context: ManifestContext(variables: variables)))
        #expect(tasks.map(\.prompt) == ["A calm=ish cat, 2020-01-01"])
        #expect(ManifestContext.parseVariable("no-equals") == nil)
        #expect(ManifestContext.parseVariable("1bad=x") == nil)
        // A manifest may not define a built-in name itself.
        let reserved = folder.write("r.json", #"{\#(Self.model), "vars": {"date": ["x"]}, "tasks": [{"prompt": "{date}"}]}"#)
        let error = try #require(throws: ManifestError.self) { try BatchPlan(paths: [reserved], outputRoot: folder.path + "/out") }
        #expect(error.issues.contains { $0.field == "vars.date" && $0.message.contains("date, file") }, "\(error.issues)")
    }
}
