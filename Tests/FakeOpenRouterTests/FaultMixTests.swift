@testable import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// The benchmark's weighted fault mix (behaviour 9), and the `fake-openrouter` flags for
/// every new behaviour.
@Suite("Fault mix and the command line")
struct FaultMixTests {
    static let benchMix: [FaultKind: Double] = [
        .upstreamRateLimited: 0.06, .serverError: 0.03, .badGateway: 0.03, .unavailable: 0.03, .timeoutEdge: 0.02,
        .overloaded: 0.02, .resetMidBody: 0.03, .stall: 0.01, .truncatedBody: 0.02, .malformedJSON: 0.02,
        .errorIn200: 0.02, .noImages: 0.01,
    ]

    @Test("A mix draws per attempt from the seed: reproducible, near its weights, only on the first K attempts")
    func draws() {
        let plan = FaultPlan(seed: 99, maxFaultedAttempts: 2, mix: FaultMixTests.benchMix)
        let identities = (0..<20_000).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let first = identities.map { Faults.draw(plan: plan, identity: $0, attempt: 1) }
        #expect(first == identities.map { Faults.draw(plan: plan, identity: $0, attempt: 1) })
        var other = plan
        other.seed = 100
        #expect(first != identities.map { Faults.draw(plan: other, identity: $0, attempt: 1) })
        let total = FaultMixTests.benchMix.values.reduce(0, +)  // 0.30
        let hits = first.compactMap { $0 }
        #expect(abs(Double(hits.count) / 20_000 - total) < 0.02, "\(hits.count) faults")
        let upstream = hits.filter { $0 == .upstreamRateLimited }.count
        #expect(abs(Double(upstream) / 20_000 - 0.06) < 0.01, "\(upstream) upstream 429s")
        #expect(Set(hits).isSubset(of: Set(FaultMixTests.benchMix.keys)))
        #expect(identities.allSatisfy { Faults.draw(plan: plan, identity: $0, attempt: 3) == nil })
        // A mix replaces rate and kinds.
        let both = FaultPlan(rate: 1, kinds: [.serverError], seed: 99, maxFaultedAttempts: 2, mix: [.badGateway: 1])
        #expect(identities.prefix(100).allSatisfy { Faults.draw(plan: both, identity: $0, attempt: 1) == .badGateway })
    }

    @Test("Over the wire: the same seed meets the same faults; retries past K always succeed")
    func wire() throws {
        func statuses(seed: UInt64) throws -> [Int] {
            let server = try startServer {
                $0.faults = FaultPlan(
                    seed: seed, maxFaultedAttempts: 1, retryAfterSeconds: 0,
                    mix: [.upstreamRateLimited: 0.3, .serverError: 0.2, .paymentInFlight: 0.1])
            }
            defer { server.stop() }
            var result: [Int] = []
            for task in 0..<30 {
                let body = chatBody(prompt: "mix \(task)")
                result.append(try post(server, "/chat/completions", body).status)
                #expect(try post(server, "/chat/completions", body).status == 200)
            }
            return result
        }
        let first = try statuses(seed: 5)
        #expect(first == (try statuses(seed: 5)))
        #expect(Set(first).isSubset(of: [200, 402, 429, 500]))
        #expect(first.contains(200) && first.contains(429))
    }

    /// The built `fake-openrouter`, beside `mediabatch`.
    private func fakeExecutable() -> String {
        (mediabatchExecutable() as NSString).deletingLastPathComponent + "/fake-openrouter"
    }

    @Test("fake-openrouter: every new flag parses; usage lists them; a bad mix is refused")
    func commandLine() throws {
        let help = try run(fakeExecutable(), ["--help"])
        #expect(help.status == 0)
        for flag in [
            "--fault-mix", "--generation-delay", "--in-flight-budget", "--key-limit-after", "--rpm", "--rate-window",
            "--media-first-byte", "--speech-first-byte-per-char", "--chat-keepalive", "429upstream", "error200bare429",
            "refuse-image-safety", "402inflight",
        ] {
            #expect(help.stdout.contains(flag), "usage lacks \(flag)")
        }
        #expect(try run(fakeExecutable(), ["--fault-mix", "nonsense=0.1"]).status == 2)
        #expect(try run(fakeExecutable(), ["--fault-mix", "500=0.7,502=0.6"]).status == 2)

        // A live run with the new flags: the stats line carries the billed total.
        let folder = TempFolder()
        defer { folder.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fakeExecutable())
        process.arguments = [
            "--port", "0", "--seed", "3", "--fault-attempts", "1",
            "--fault-mix", "429upstream=0.06,500=0.03,502=0.03,503=0.03,524=0.02,529=0.02,reset=0.03,stall=0.01,truncate=0.02,malformed=0.02,error200=0.02,noimages=0.01",
            "--generation-delay", "0", "--in-flight-budget", "50", "--key-limit-after", "1", "--rpm", "100",
            "--rate-window", "60", "--media-first-byte", "0", "--speech-first-byte-per-char", "0", "--chat-keepalive", "5",
            "--stall-seconds", "0.1", "--retry-after", "0",
        ]
        let stdoutPath = folder.path + "/fake.stdout"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var port: Int?
        #expect(waitFor(timeout: hangDeadline) {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on") }),
                let range = line.range(of: #":(\d+)/api/v1"#, options: .regularExpression)
            else { return false }
            port = Int(line[range].dropFirst().dropLast("/api/v1".count))
            return true
        })
        let bound = try #require(port)
        // Key limit after one billed generation (a reset or stalled chat is billed too): then 403.
        var statuses: [Int] = []
        for index in 0..<6 where statuses.last != 403 {
            let connection = try RawHTTPConnection(port: bound)
            connection.send("POST", "/api/v1/chat/completions", body: Array(chatBody(prompt: "cli \(index)").utf8))
            statuses.append((try? connection.readResponse())?.status ?? -1)
        }
        #expect(statuses.last == 403, "\(statuses)")
        process.terminate()
        process.waitUntilExit()
        let lines = ((try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "").split(separator: "\n")
        let stats = try #require(
            lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(stats["billedGenerations"] as? Int == 1)
        #expect((stats["billedCost"] as? Double ?? 0) > 0)
    }
}
