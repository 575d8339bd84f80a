import Files
import Foundation
import Manifest
import ManifestDiagnostics
import Testing
import TestSupport

/// Files a manifest names are read only inside its folder, symlinks included; batches and
/// manifest files past their limits are refused with the file and line, before anything runs.
@Suite struct InputLimitsTests {
    private static let model = "google/gemini-2.5-flash-image"
    private static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)

    @Test func symlinksLeadingOutOfTheManifestFolderAreRefused() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let outside = folder.write("outside/secret.txt", "the contents of a file outside")
        _ = folder.write("outside/secret.png", bytes: Self.png)
        let jobs = folder.path + "/jobs"
        try FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: jobs + "/story.txt", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: jobs + "/ref.png", withDestinationPath: "../outside/secret.png")
        // A folder link: the file "inside" it is outside all the same.
        try FileManager.default.createSymbolicLink(atPath: jobs + "/up", withDestinationPath: folder.path + "/outside")
        let manifest = """
            {"name": "links", "tasks": [
              {"id": "t", "type": "tts", "textFile": "story.txt", "model": "openai/gpt-4o-mini-tts", "voice": "alloy"},
              {"id": "r", "prompt": "x", "model": "\(Self.model)", "inputImages": ["ref.png"]},
              {"id": "u", "prompt": "x", "model": "\(Self.model)", "inputImages": ["up/secret.png"]}
            ]}
            """
        let file = folder.write("jobs/m.json", manifest)
        let error = try #require(throws: ManifestError.self) { try BatchPlan(paths: [file], outputRoot: folder.path + "/out") }
        let fields = Dictionary(grouping: error.issues, by: \.field)
        #expect(fields["tasks[0].textFile"]?.first?.message.contains("outside the manifest's folder") == true)
        #expect(fields["tasks[1].inputImages[0]"]?.first?.message.contains("outside the manifest's folder") == true)
        #expect(fields["tasks[2].inputImages[0]"]?.first?.message.contains("outside the manifest's folder") == true)
        #expect(error.issues.allSatisfy { $0.line != nil })
        // Nothing of the outside file's content reaches the messages.
        #expect(!error.description.contains("the contents of a file outside"))
    }

    @Test func aSymlinkThatStaysInsideIsFollowedToItsTarget() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let real = folder.write("refs/real.png", bytes: Self.png)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/alias.png", withDestinationPath: "refs/real.png")
        let manifest = #"{"name": "alias", "tasks": [{"id": "a", "prompt": "x", "model": "\#(Self.model)", "inputImages": ["alias.png"]}]}"#
        let tasks = imageTasks(try plan(manifest, in: folder))
        #expect(tasks.map(\.inputImages) == [[FileIO.realPath(real)!]])
    }

    @Test func hostileNamesBecomePortableOrAreRefusedBeforeAnythingIsSent() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let model = Self.model
        let deep = Array(repeating: String(repeating: "d", count: 120), count: 9).joined(separator: "/")
        let good = #"{"name": "names", "tasks": [{"id": "nul\u0000byte", "prompt": "x", "model": "\#(model)"}, {"id": "\#(String(repeating: "a", count: 1000))", "prompt": "x", "model": "\#(model)"}]}"#
        let tasks = imageTasks(try plan(good, in: folder))
        #expect(tasks.map(\.id) == ["nul-byte", String(repeating: "a", count: PortableName.maxLength)])
        #expect(tasks.allSatisfy { !$0.output.baseName.utf8.contains(0) && $0.output.baseName.utf8.count <= PortableName.maxLength })

        let bad = #"{"name": "names", "tasks": [{"id": "deep", "output": "\#(deep)/{id}", "prompt": "x", "model": "\#(model)"}, {"id": "n", "output": "a\u0000b", "prompt": "x", "model": "\#(model)"}]}"#
        let error = try #require(throws: ManifestError.self) { try plan(bad, in: folder) }
        #expect(error.issues.map(\.field) == ["tasks[0].output", "tasks[1].output"])
        #expect(error.issues.allSatisfy { $0.message.contains("at most \(PortableName.maxPathLength) bytes") })
    }

    @Test func aBatchPastTheTaskLimitIsRefusedAtTheEntryThatCrossesIt() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        var lines = [#"{"name": "many", "defaults": {"image": {"model": "\#(Self.model)"}}}"#]
        for index in 0..<30 { lines.append(#"{"id": "i\#(index)", "prompt": ["a", "b"]}"#) }
        let file = folder.write("many.jsonl", lines.joined(separator: "\n") + "\n")
        let out = folder.path + "/out"

        let error = try #require(throws: ManifestError.self) {
            try BatchPlan(paths: [file], outputRoot: out, limits: ManifestLimits(maxTasks: 25))
        }
        #expect(error.issues.count == 1)
        // Entry 13 (line 14, after the header line) brings the count from 24 to 26.
        #expect(error.issues.first?.line == 14)
        #expect(error.issues.first?.message.contains("--max-tasks") == true)

        let plan = try BatchPlan(paths: [file], outputRoot: out, limits: ManifestLimits(maxTasks: 60))
        #expect(plan.taskCount == 60)
    }

    @Test func aManifestFileOverTheSizeLimitIsRefusedUnread() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let big = String(repeating: " ", count: 2 << 20)
        let file = folder.write("big.json", #"{"name": "big", "tasks": []}"# + big)
        let error = try #require(throws: ManifestError.self) {
            try BatchPlan(paths: [file], outputRoot: folder.path + "/out", limits: ManifestLimits(maxFileBytes: 1 << 20))
        }
        #expect(error.issues.first?.file == file)
        #expect(error.issues.first?.message.contains("--max-manifest-mib") == true)
        #expect(throws: Never.self) {
            try BatchPlan(paths: [file], outputRoot: folder.path + "/out", limits: ManifestLimits(maxFileBytes: 4 << 20))
        }
    }

    @Test func theCLIAppliesBothLimitsAndExits65() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = folder.write("m.json", #"{"name": "m", "tasks": [{"id": "a", "prompt": ["x", "y", "z"], "model": "\#(Self.model)"}]}"#)
        let refused = try runCLI(["validate", manifest, "--max-tasks", "2", "--output-root", folder.path + "/out"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("m.json:1"))
        #expect(refused.stderr.contains("--max-tasks"))
        let accepted = try runCLI(["validate", manifest, "--max-tasks", "3", "--output-root", folder.path + "/out"])
        #expect(accepted.status == 0)
    }
}

/// Answers past the size limits fail their task with a clear message, write nothing, and
/// are not retried (a larger answer will not shrink).
@Suite struct ResponseLimitsTests {
    @Test func imagesAndBodiesPastTheirLimitsFailTheTaskAndWriteNothing() throws {
        let server = try startFake { $0.imageBytes = 3 << 20 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", #"{"name": "big", "tasks": [{"id": "a", "prompt": "x", "model": "google/gemini-2.5-flash-image"}]}"#)
        let environment = ["OPENROUTER_API_KEY": "test-key"]

        let image = try runCLI(["run", "m.json", "--base-url", server.baseURL, "--max-image-mib", "2"], environment: environment, in: folder.path)
        #expect(image.status == 1)
        #expect(image.stderr.contains("more than the limit of 2 MiB (--max-image-mib)"))
        #expect(folder.files(under: "output").isEmpty)
        #expect(server.requests().count == 1)

        let body = try runCLI(["run", "m.json", "--base-url", server.baseURL, "--max-response-mib", "1"], environment: environment, in: folder.path)
        #expect(body.status == 1)
        #expect(body.stderr.contains("more than \(1 << 20) bytes"))
        #expect(folder.files(under: "output").isEmpty)
        #expect(server.requests().filter { $0.path == "/chat/completions" }.count == 2)
        // The chat generation was billed although its body was refused: its cost is asked for.
        #expect(server.requests().filter { $0.path == "/generation" }.count == 1)

        let fits = try runCLI(["run", "m.json", "--base-url", server.baseURL, "--max-image-mib", "4"], environment: environment, in: folder.path)
        #expect(fits.status == 0)
        #expect(folder.files(under: "output") == ["big/a.png"])
    }
}

/// Many problems in one big JSON manifest: each is located on its own line (the locator goes
/// on from the previous problem's entry), and a bad default is reported once, not once per
/// task that inherits it.
@Suite struct ManyProblemsTests {
    @Test func everyEntryProblemHasItsLineAndABadDefaultIsReportedOnce() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let count = 3000
        let entries = (0..<count).map { #"    {"id": "t\#($0)", "prompt": "p", "colour": \#($0)}"# }
        let manifest = """
            {"name": "many",
             "defaults": {"image": {"model": "google/gemini-2.5-flash-image", "aspectRatio": "7:3"}},
             "tasks": [
            \(entries.joined(separator: ",\n"))
            ]}
            """
        let error = try #require(throws: ManifestError.self) { try plan(manifest, in: folder) }
        let unknown = error.issues.filter { $0.field.hasSuffix(".colour") }
        #expect(unknown.count == count)
        // Entry n sits on line n + 4 (three header lines, then one entry per line).
        #expect(unknown.allSatisfy { issue in issue.line == Int(issue.field.dropFirst("tasks[".count).prefix { $0 != "]" })! + 4 })
        let aspect = error.issues.filter { $0.field.contains("aspectRatio") }
        #expect(aspect.count == 1)
        #expect(aspect.first?.line == 2)
    }
}
