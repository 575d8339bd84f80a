import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@testable import mediabatch

/// Issue 16, conventions: --version, short flags, file completion, tables, money, the
/// config file's run defaults.
@Suite struct ConventionsTests {
    @Test func versionShortFlagsAndFileCompletion() throws {
        let version = try runCLI(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == MediaBatchCommand.version)

        let bash = try runCLI(["--generate-completion-script", "bash"])
        #expect(bash.status == 0)
        // argument-parser's file and folder completion for path arguments and options.
        #expect(bash.stdout.contains("'-o'|'--output-root')\n        __mediabatch_add_completions -d"), "\(bash.stdout.prefix(400))")
        #expect(bash.stdout.contains("'--config')\n        __mediabatch_add_completions -o plusdirs -fX '!*.@(json)'"))
        let zsh = try runCLI(["--generate-completion-script", "zsh"])
        #expect(zsh.stdout.contains(#"'*:manifests:_files -g '\''*.json *.jsonl'\'''"#), "\(zsh.stdout.prefix(400))")

        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", #"{"name": "f", "tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 3}]}"#)
        let run = try runCLI(["run", "m.json", "-o", "short", "-c", "2", "-q", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(folder.files(under: "short/f") == ["a-1.png", "a-2.png", "a-3.png"])
        // Three images at $0.039: 0.117, never 0.11699999999999999.
        let report = try String(contentsOfFile: folder.path + "/short/f/.mediabatch/report.json", encoding: .utf8)
        #expect(report.contains("\"cost\":0.117,"), "\(report.prefix(300))")
        #expect(!report.contains("99999") && !report.contains("00000001"))
    }

    @Test func pricesAndMoneyInPlainDecimals() {
        #expect(Terminal.price(8e-7, per: "char") == "$0.0000008/char")
        #expect(Terminal.price(0.039, per: "image") == "$0.039/image")
        #expect(Terminal.price(0.000015, per: "char") == "$0.000015/char")
        #expect(Terminal.price(15, per: "1M chars") == "$15/1M chars")
        #expect(Terminal.price(2.5, per: "image") == "$2.5/image")
        #expect(Terminal.dollars(12.3456) == "$12.3456")
        #expect(Terminal.dollars(0.039) == "$0.0390")
        #expect(Terminal.dollars(0) == "$0.0000")
        #expect(Terminal.dollars(1.99999) == "$2.0000")
        #expect(Terminal.dollars(17.0432) == "$17.0432")
        #expect(Terminal.dollars(1234.5) == "$1234.5000")
    }

    @Test func tablesHaveAHeaderOnATerminalAndTabsThroughAPipe() {
        var table = Table(["state", "task", "detail"])
        table.add(["failed", "a-long-task-id", "HTTP 400"])
        table.add(["pending", "b", "never started"])
        #expect(table.render(terminal: false) == "failed\ta-long-task-id\tHTTP 400\npending\tb\tnever started\n")
        let screen = table.render(terminal: true).split(separator: "\n")
        #expect(screen.first == "STATE    TASK            DETAIL")
        #expect(screen[1] == "failed   a-long-task-id  HTTP 400")
        #expect(table.render(terminal: true, colour: true).hasPrefix("\u{1B}[1mSTATE"))
    }

    @Test func theConfigFileHoldsTheRunDefaults() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("config/mediabatch/config.json", #"{"outputRoot": "from-config", "concurrency": 2, "maxCost": 5, "timeout": 60}"#)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.path + "/config/mediabatch/config.json")
        folder.write("m.json", #"{"name": "c", "tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CONFIG_HOME": folder.path + "/config"]
        let run = try runCLI(["run", "m.json", "--base-url", server.baseURL, "-q"], environment: environment, in: folder.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(folder.files(under: "from-config/c") == ["a.png"])
        let show = try runCLI(["config", "show"], environment: environment, in: folder.path)
        #expect(show.stdout.contains("outputRoot\tfrom-config\t(config file)"), "\(show.stdout)")
        #expect(show.stdout.contains("maxCost\t5.0\t(config file)"))
        #expect(show.stdout.contains("rpm\t(unset)\t(unset)"))
        folder.write("config/mediabatch/config.json", #"{"maxCost": -1}"#)
        let bad = try runCLI(["run", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("maxCost must be a positive number"))
    }
}

/// Issue 16: on a terminal a table has a bold header, which `--color never` and `NO_COLOR`
/// turn off; through a pipe, tab-separated rows and no escape code at all.
@Suite struct TableColourTests {
    @Test func colourOnlyOnATerminalAndOffWithNoColorOrColorNever() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.json", #"{"name": "p", "tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        let environment = ["XDG_CONFIG_HOME": "/nonexistent", "TERM": "xterm"]
        func onTerminal(_ arguments: String, _ extra: [String: String] = [:]) throws -> String {
            let command = mediabatchExecutable() + " plan p.json " + arguments
            return try runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], environment: environment.merging(extra) { $1 }, in: folder.path).stdout
        }
        let coloured = try onTerminal("")
        #expect(coloured.contains("\u{1B}[1mID"), "\(coloured)")
        #expect(coloured.contains("MODEL"))
        let never = try onTerminal("--color never")
        #expect(never.contains("ID  ") && !never.contains("\u{1B}["), "\(never)")
        let noColor = try onTerminal("", ["NO_COLOR": "1"])
        #expect(noColor.contains("ID  ") && !noColor.contains("\u{1B}["), "\(noColor)")
        let piped = try runCLI(["plan", "p.json", "--color", "always"], environment: environment, in: folder.path)
        #expect(!piped.stdout.contains("\u{1B}") && !piped.stdout.contains("MODEL"))
        #expect(piped.stdout.hasPrefix("x\timage\t"))
    }
}
