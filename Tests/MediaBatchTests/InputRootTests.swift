import Files
import Foundation
import Manifest
import ManifestDiagnostics
import Tasks
import Testing
import TestSupport

/// Input files stay in the manifest's folder unless `--input-root` allows another folder;
/// a symlink out of an allowed folder is still refused.
@Suite struct InputRootTests {
    @Test func anInputRootAllowsItsFolderAndNothingBeyond() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        folder.write("shared/logo.png", bytes: png)
        folder.write("shared/catalog.csv", "c\nx\n")
        folder.write("secret/key.png", bytes: png)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/shared/escape.png", withDestinationPath: folder.path + "/secret/key.png")
        let manifest = folder.write("jobs/m.json", """
            {"defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}, "tasks": [
              {"id": "a", "prompt": "p", "inputImages": "../shared/logo.png"},
              {"id": "b-{c}", "prompt": "p", "rows": "../shared/catalog.csv"},
              {"prompt": "p", "inputImages": "../shared/*.png"}]}
            """)
        let refused = try #require(throws: ManifestError.self) { try BatchPlan(paths: [manifest], outputRoot: folder.path + "/out") }
        #expect(refused.issues.count == 3, "\(refused.issues)")
        let shared = try #require(FileIO.realPath(folder.path + "/shared"))
        let context = ManifestContext(inputRoots: [shared])
        let allowed = try #require(throws: ManifestError.self) {
            try BatchPlan(paths: [manifest], outputRoot: folder.path + "/out", context: context)
        }
        // Only the link out of the shared folder is still refused.
        #expect(allowed.issues.count == 1 && allowed.issues[0].message.contains("escape.png is a link to a file outside"), "\(allowed.issues)")
        try FileManager.default.removeItem(atPath: folder.path + "/shared/escape.png")
        let plan = try BatchPlan(paths: [manifest], outputRoot: folder.path + "/out", context: context)
        #expect(plan.allTasks().map(\.id) == ["a", "b-x", "logo"])
    }

    @Test func inputRootsFromTheCommandLineOrTheSettingsFile() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("shared/logo.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        folder.write("jobs/m.json", #"{"tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image", "inputImages": "../shared/logo.png"}]}"#)
        folder.write("config.json", #"{"inputRoots": ["shared"]}"#)
        let refused = try runCLI(["validate", "jobs/m.json"], in: folder.path)
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("--input-root"), "\(refused.stderr)")
        let flag = try runCLI(["validate", "jobs/m.json", "--input-root", "shared"], in: folder.path)
        #expect(flag.status == 0, "\(flag.stderr)")
        let settings = try runCLI(["validate", "jobs/m.json", "--config", "config.json"], in: folder.path)
        #expect(settings.status == 0, "\(settings.stderr)")
    }
}
