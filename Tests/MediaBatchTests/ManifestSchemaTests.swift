import Foundation
import Manifest
import ManifestDiagnostics
import Testing
import TestSupport

/// `docs/manifest.schema.json` (for editors) stays in step with the parser: every example
/// manifest validates against it, it knows exactly the fields the parser knows, and it
/// rejects what the parser rejects.
@Suite struct ManifestSchemaTests {
    static var repository: URL {
        var folder = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { folder.deleteLastPathComponent() }
        return folder
    }

    func schemaCheck(_ arguments: [String]) throws -> ProcessResult {
        let root = Self.repository
        return try runTool(SchemaConformanceTests.python, [root.appendingPathComponent("scripts/schema-check.py").path,
                                                           root.appendingPathComponent("docs/manifest.schema.json").path] + arguments)
    }

    @Test func everyExampleManifestValidatesAgainstTheSchema() throws {
        let jobs = Self.repository.appendingPathComponent("jobs")
        let manifests = try FileManager.default.contentsOfDirectory(atPath: jobs.path).filter { $0.hasSuffix(".json") }.map { jobs.appendingPathComponent($0).path }
        #expect(manifests.count >= 3)
        let result = try schemaCheck(manifests)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // And the parser accepts them too.
        let folder = TempFolder()
        defer { folder.remove() }
        #expect(throws: Never.self) { try BatchPlan(paths: manifests, outputRoot: folder.path) }
    }

    @Test func theSchemaKnowsExactlyTheParsersFields() throws {
        let result = try schemaCheck(["--fields"])
        #expect(result.status == 0)
        let lines = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").map { line -> (String, Set<String>) in
            let words = line.split(separator: " ").map(String.init)
            return (words[0], Set(words.dropFirst()))
        })
        #expect(lines["imageTask"] == ImageFields.all)
        #expect(lines["ttsTask"] == SpeechFields.all)
        #expect(lines["videoTask"] == VideoFields.all)
    }

    @Test func theSchemaRejectsWhatTheParserRejects() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let bad = [
            #"{"tasks": [{"id": "a", "prompt": "p", "model": "a/b", "colour": 1}]}"#,
            #"{"tasks": [{"type": "tts", "text": "t", "format": "ogg"}]}"#,
            #"{"tasks": [{"type": "video", "prompt": "p", "model": "a/b", "resolution": "9000p"}]}"#,
            #"{"tasks": [{"prompt": "p", "model": "a/b", "count": 0}]}"#,
            #"{"name": "x", "extra": true, "tasks": []}"#,
        ]
        for (index, text) in bad.enumerated() {
            let file = folder.write("bad-\(index).json", text)
            let result = try schemaCheck([file])
            #expect(result.status == 1, "schema accepted \(text)")
            #expect(throws: ManifestError.self) { try BatchPlan(paths: [file], outputRoot: folder.path + "/out") }
        }
    }
}
