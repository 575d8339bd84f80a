import Foundation
import Manifest
import ManifestDiagnostics
import Testing
import TestSupport

/// The JSON Schema knows the fields of issue 15 (rows, zip, patterns, promptFile, prefix,
/// suffix, optional, reserved var names) and agrees with the parser on them.
@Suite struct SchemaRowsTests {
    func schemaCheck(_ files: [String]) throws -> ProcessResult {
        let root = ManifestSchemaTests.repository
        return try runTool(SchemaConformanceTests.python, [root.appendingPathComponent("scripts/schema-check.py").path,
                                                           root.appendingPathComponent("docs/manifest.schema.json").path] + files)
    }

    static let model = #""defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image", "prefix": "Ink:", "suffix": "plain"}}"#

    @Test func theNewFieldsValidateInBoth() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.csv", "sku,ratio\nA1,1:1\n")
        folder.write("prompts/a.txt", "a prompt")
        folder.write("texts/b.md", "a text")
        try FileManager.default.createDirectory(atPath: folder.path + "/imgs", withIntermediateDirectories: true)
        let good = [
            #"{\#(Self.model), "rows": "p.csv", "tasks": [{"id": "{sku}", "prompt": "x", "aspectRatio": "{ratio}"}]}"#,
            #"{\#(Self.model), "vars": {"a": ["1", "2"], "b": ["x", "y"]}, "zip": [["a", "b"]], "tasks": [{"id": "{a}", "prompt": "{b}"}]}"#,
            #"{\#(Self.model), "tasks": [{"promptFile": "prompts/*.txt"}, {"id": "i", "prompt": "p", "inputImages": "imgs/*.png", "optional": true}, {"id": "r", "prompt": "{w}", "rows": [{"w": "one"}, {"w": 2}]}, {"type": "tts", "textFile": "texts/*.md"}]}"#,
        ]
        for (index, text) in good.enumerated() {
            let file = folder.write("good-\(index).json", text)
            let result = try schemaCheck([file])
            #expect(result.status == 0, "\(text): \(result.stdout)")
            #expect(throws: Never.self) { try BatchPlan(paths: [file], outputRoot: folder.path + "/out") }
        }
    }

    @Test func theSchemaRejectsWhatTheParserRejectsAmongTheNewFields() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.txt", "sku\nA1\n")
        let bad = [
            #"{\#(Self.model), "vars": {"a": ["1"]}, "zip": [["a"]], "tasks": [{"prompt": "{a}"}]}"#,
            #"{\#(Self.model), "rows": "p.txt", "tasks": [{"prompt": "x"}]}"#,
            #"{\#(Self.model), "vars": {"date": ["x"]}, "tasks": [{"prompt": "x"}]}"#,
            #"{\#(Self.model), "tasks": [{"prompt": "x", "rows": []}]}"#,
            #"{\#(Self.model), "tasks": [{"prompt": "x", "optional": "yes"}]}"#,
        ]
        for (index, text) in bad.enumerated() {
            let file = folder.write("bad-\(index).json", text)
            let result = try schemaCheck([file])
            #expect(result.status == 1, "schema accepted \(text)")
            #expect(throws: ManifestError.self, "parser accepted \(text)") { try BatchPlan(paths: [file], outputRoot: folder.path + "/out") }
        }
    }
}
