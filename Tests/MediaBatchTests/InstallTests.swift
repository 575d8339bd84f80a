import Foundation
import Testing
import TestSupport

/// Issue 16: `scripts/install.sh` puts the binary and its completions under a prefix
/// (DESTDIR honoured), again without harm, and `--uninstall` removes exactly them.
@Suite struct InstallTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/install.sh").path
    }

    @Test func installIntoATempPrefixThenUninstall() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let environment = ["MEDIABATCH_BIN": mediabatchExecutable(), "MEDIABATCH_NO_MANUAL": "1", "DESTDIR": folder.path + "/stage"]
        let expected = [
            "bin/mediabatch", "share/bash-completion/completions/mediabatch", "share/fish/vendor_completions.d/mediabatch.fish",
            "share/zsh/site-functions/_mediabatch",
        ]
        for _ in 0..<2 {  // idempotent
            let install = try runTool("/bin/bash", [Self.script, "/opt/mb"], environment: environment, in: folder.path)
            #expect(install.status == 0, "\(install.stderr)")
            #expect(folder.allFiles(under: "stage/opt/mb") == expected)
        }
        let installed = try runTool(folder.path + "/stage/opt/mb/bin/mediabatch", ["--version"], in: folder.path)
        #expect(installed.status == 0 && !installed.stdout.isEmpty)
        let bash = try String(contentsOfFile: folder.path + "/stage/opt/mb/share/bash-completion/completions/mediabatch", encoding: .utf8)
        #expect(bash.contains("complete -o filenames -F _mediabatch mediabatch"))

        let uninstall = try runTool("/bin/bash", [Self.script, "--uninstall", "/opt/mb"], environment: environment, in: folder.path)
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(folder.allFiles(under: "stage/opt/mb").isEmpty)
    }
}
