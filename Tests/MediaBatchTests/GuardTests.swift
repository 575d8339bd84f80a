import FakeOpenRouter
import Foundation
import Glibc
import Testing
import TestSupport

/// Local failures and unreachable servers stop a run at once with one message and the
/// right exit code; files mediabatch did not write, or that changed since, are never
/// overwritten. Judged by what the fake saw, the journal, the files and the exit status.
/// Serialized: the tests run the CLI as a subprocess.
@Suite(.serialized) struct GuardTests {
    private let key = runEnvironment

    // MARK: 1. A file that cannot be written

    /// No root needed to make a write fail with a real errno: the run is started under
    /// `RLIMIT_FSIZE` (`ulimit -f`, SIGXFSZ ignored so that the write returns EFBIG), below
    /// the size of the fake's images and above that of the journal and the reports.
    @Test(.disabled(
        if: ProcessInfo.processInfo.environment["MEDIABATCH_SANITIZER"] == "thread",
        "ThreadSanitizer's own runtime takes SIGBUS under the 32 KiB file-size limit this test sets"))
    func anOutputThatCannotBeWrittenStopsTheRunWithExit73AndOneMessage() throws {
        let concurrency = 4
        let count = 40
        let (server, folder) = try startFakeAndFolder { $0.imageBytes = 100_000 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: count))
        // 64 blocks of 512 bytes (dash, and bash as sh): 32 KiB.
        let limited = #"trap "" XFSZ; ulimit -f 64; exec "$0" "$@""#
        let result = try runTool(
            "/bin/sh", ["-c", limited, mediabatchExecutable()] + runArguments(server, ["--concurrency", "\(concurrency)"]),
            environment: key, in: folder.path)

        #expect(result.status == 73, "\(result.stderr)")
        // One message, naming the path and the system's reason; no line per task.
        let messages = result.stderr.split(separator: "\n").filter { $0.contains("cannot write") }
        #expect(messages.count == 1, "\(result.stderr)")
        #expect(messages.first?.contains(folder.path + "/out/m/t0") == true, "\(result.stderr)")
        #expect(messages.first?.contains(String(cString: strerror(EFBIG))) == true, "\(result.stderr)")
        // Scheduling stopped at the first failure: every request sent before it was already in
        // flight (at most the concurrency), and at most the concurrency after it.
        let requests = generationRequests(server).count
        #expect(requests >= 1 && requests <= 2 * concurrency, "\(requests) requests after the disk refused the first image")
        #expect(folder.files(under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)

        // The answers that arrived were paid for: their cost is in the journal and the total.
        let failed = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl").records("failed")
        #expect(!failed.isEmpty && failed.allSatisfy { $0["kind"] as? String == "unwritable" })
        #expect(failed.allSatisfy { ($0["cost"] as? Double ?? 0) > 0 }, "\(failed)")
        #expect(!result.stderr.contains("cost $0.0000"), "\(result.stderr)")
        #expect(result.stderr.contains("\(count - failed.count) not run"), "\(result.stderr)")
    }

    // MARK: 2. A server that cannot be reached, or a wrong base URL

    @Test func anUnreachableServerStopsTheRunWithExit69NamingTheBaseURL() throws {
        // A port bound but never listened on: every connection is refused, and no other
        // test's server can take the port while this one holds it.
        let socket = try #require(ClosedPort())
        defer { socket.close() }
        let baseURL = "http://127.0.0.1:\(socket.port)/api/v1"
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 40))

        let result = try runCLI(["run", "m.json", "--output-root", "out", "--base-url", baseURL, "--concurrency", "4"], environment: key, in: folder.path)

        #expect(result.status == 69, "\(result.stderr)")
        let messages = result.stderr.split(separator: "\n").filter { $0.hasPrefix("mediabatch:") }
        #expect(messages.count == 1 && messages[0].contains("cannot reach \(baseURL)"), "\(result.stderr)")
        // A few attempts (the workers' first ones, and retries started before the fourth
        // failure was counted: more on a loaded machine), not every task's six (240).
        let attempts = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl").records("started").count
        #expect(attempts >= 4 && attempts <= 12, "\(attempts) attempts: \(result.stderr)")
        #expect(result.stderr.contains("0 done, 0 failed"), "\(result.stderr)")
    }

    @Test func aBaseURLThatAnswersOnly404SaysApiV1IsProbablyMissing() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 40))
        // The fake serves OpenRouter's paths with or without /api/v1 in front, never below /v1.
        let wrong = server.baseURL.replacingOccurrences(of: "/api/v1", with: "/v1")

        let result = try runCLI(["run", "m.json", "--output-root", "out", "--base-url", wrong, "--concurrency", "4"], environment: key, in: folder.path)

        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("every answer from \(wrong) was 404"), "\(result.stderr)")
        #expect(result.stderr.contains("probably missing /api/v1"), "\(result.stderr)")
        // Generation requests only (the model lists are asked for first, and 404 too).
        let requests = server.requests().filter { $0.method == "POST" }.count
        #expect(requests >= 4 && requests <= 8, "\(requests) requests to a URL that answers only 404")
    }

    @Test(arguments: ["flag", "environment", "config"])
    func aMalformedBaseURLIsAUsageErrorBeforeAnyManifestIsRead(source: String) throws {
        let folder = TempFolder()
        defer { folder.remove() }
        // A manifest that does not parse: reading it would end the run with exit 65.
        folder.write("m.json", "{ not json")
        chmod(folder.write("config/mediabatch/config.json", #"{"baseURL": "openrouter.ai/api/v1"}"#), 0o600)
        let malformed = ["flag": "http:// example.com/api/v1", "environment": "ftp://example.com/api/v1", "config": "openrouter.ai/api/v1"][source]!
        var environment = key
        var arguments = ["run", "m.json", "--output-root", "out"]
        switch source {
        case "flag": arguments += ["--base-url", malformed]
        case "environment": environment["OPENROUTER_BASE_URL"] = malformed
        default: environment["XDG_CONFIG_HOME"] = folder.path + "/config"
        }

        let result = try runCLI(arguments, environment: environment, in: folder.path)

        #expect(result.status == 64, "\(result.stderr)")
        let origin = ["flag": "--base-url", "environment": "OPENROUTER_BASE_URL", "config": "baseURL in"][source]!
        #expect(result.stderr.contains("\"\(malformed)\" (\(origin)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out"))
    }

    // MARK: 3. Never overwrite a file the run did not write, or one changed since

    @Test func aRetouchedOrForeignImageIsKeptAcrossRerunsAndOnlyForceOverwritesIt() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let out = folder.path + "/out/m/"
        folder.write("m.json", distinctTasksManifest(count: 3))
        let first = try runCLI(runArguments(server), environment: key, in: folder.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(generationRequests(server).count == 3)

        // t002.png retouched by hand; t004 added to the batch, with a hand-made t004.png in its place.
        let retouched = try #require(FileManager.default.contents(atPath: out + "t002.png")) + Data("retouched".utf8)
        folder.write("out/m/t002.png", bytes: Array(retouched))
        folder.write("out/m/t004.png", bytes: Array("drawn by hand".utf8))
        folder.write("m.json", distinctTasksManifest(count: 4))

        // Two nightly reruns: nothing sent, nothing overwritten, a warning for each file.
        for night in 1...2 {
            let rerun = try runCLI(runArguments(server), environment: key, in: folder.path)
            #expect(rerun.status == 0, "night \(night): \(rerun.stderr)")
            #expect(rerun.stderr.contains("kept t002: out/m/t002.png changed since mediabatch wrote it"), "\(rerun.stderr)")
            #expect(rerun.stderr.contains("kept t004: out/m/t004.png was not written by mediabatch"), "\(rerun.stderr)")
            #expect(rerun.stderr.contains("2 already done, 2 kept"), "\(rerun.stderr)")
            #expect(generationRequests(server).count == 3, "night \(night): a kept task was sent")
            #expect(FileManager.default.contents(atPath: out + "t002.png") == retouched)
            #expect(FileManager.default.contents(atPath: out + "t004.png") == Data("drawn by hand".utf8))
        }
        let kept = JournalLines(path: out + ".mediabatch/journal.jsonl").records("kept")
        #expect(Set(kept.compactMap { $0["task"] as? String }) == ["t002", "t004"])

        // `status` lists them.
        let status = try runCLI(["status", "out/m"], environment: key, in: folder.path)
        let lines = status.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("kept\tt002\tt002.png (changed since written)") }, "\(status.stdout)")
        #expect(lines.contains { $0.hasPrefix("kept\tt004\tt004.png (not written by mediabatch)") }, "\(status.stdout)")
        #expect(status.stderr.contains("2 done, 0 failed, 0 refused, 2 kept"), "\(status.stderr)")

        // --force overwrites both.
        let forced = try runCLI(runArguments(server, ["--force"]), environment: key, in: folder.path)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(generationRequests(server).count == 3 + 4)
        #expect(FileManager.default.contents(atPath: out + "t002.png") != retouched)
        #expect(pngSize(out + "t004.png") != nil)
    }
}

/// A loopback TCP port held bound without listening: connections to it are refused.
private struct ClosedPort {
    let fd: Int32
    let port: Int

    init?() {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else {
            Glibc.close(descriptor)
            return nil
        }
        fd = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }
}
