import CCurl
import FakeOpenRouter
import Foundation
import HTTP
import Manifest
import OpenRouter
import Runner
import Support
import Tasks
import Testing

/// libcurl's refusals (of `curl_global_init`, of an option) surface as typed errors instead
/// of being ignored; the HTTP module initialises libcurl itself.
@Suite struct HTTPSetupDefectTests {
    /// The error `body` throws, if it throws an `HTTPError`.
    private func httpError(_ body: () throws -> Void) -> HTTPError? {
        do { try body() } catch { return error as? HTTPError }
        return nil
    }

    @Test func aRefusedConnectionOptionIsASetupError() {
        var negative = HTTPLimits()
        negative.lowSpeedBytesPerSecond = -1
        let refused = httpError { _ = try HTTPConnection(limits: negative) }
        #expect(refused?.kind == .setup)
        #expect(
            refused?.description == "cannot set up libcurl: libcurl refused CURLOPT_LOW_SPEED_LIMIT: A libcurl function was given a bad argument",
            "\(String(describing: refused))")

        var slow = HTTPLimits()
        slow.lowSpeedSeconds = -1
        let lowSpeed = httpError { _ = try HTTPConnection(limits: slow) }
        #expect(lowSpeed?.kind == .setup)
        #expect(lowSpeed?.detail.contains("CURLOPT_LOW_SPEED_TIME") == true)

        // A timeout no `long` can hold is refused too, rather than trapping in the conversion.
        var endless = HTTPLimits()
        endless.totalTimeout = .infinity
        let tooLong = httpError { _ = try HTTPConnection(limits: endless) }
        #expect(tooLong?.kind == .setup)
        #expect(tooLong?.detail.contains("CURLOPT_TIMEOUT_MS") == true)

        #expect(httpError { _ = try HTTPConnection() } == nil)
    }

    /// libcurl refuses a URL longer than 8,000,000 bytes. Ignored, the transfer used to go
    /// ahead with the handle's previous URL (or none).
    @Test func aRefusedRequestOptionFailsThatTransfer() throws {
        let server = FakeOpenRouterServer(configuration: FakeConfiguration())
        try server.start()
        defer { server.stop() }
        let connection = try HTTPConnection()
        let models = HTTPRequest(method: .get, url: server.baseURL + "/models", headers: [("Authorization", "Bearer k")])
        #expect(try connection.perform(models).status == 200)

        let huge = server.baseURL + "/models?pad=" + String(repeating: "x", count: 8_000_001)
        let refused = httpError { _ = try connection.perform(HTTPRequest(method: .get, url: huge, headers: models.headers)) }
        #expect(refused?.kind == .setup)
        #expect(refused?.detail.contains("libcurl refused CURLOPT_URL") == true, "\(String(describing: refused?.detail))")
        #expect(server.stats().requests == 1)

        // The connection is still good for the next request.
        #expect(try connection.perform(models).status == 200)
        #expect(server.stats().requests == 2)

        // The client classifies it: permanent (the same request meets the same refusal), nothing sent.
        let failure = OpenRouterClient.failure(for: refused ?? HTTPError(kind: .transport, url: "", detail: ""))
        #expect(failure.kind == .permanent && failure.cause == .transport(.setup))
    }

    /// A run whose connections cannot be set up fails each task, permanently, with libcurl's
    /// reason, and sends nothing.
    @Test func aRunWithRefusedLimitsFailsEveryTaskClearly() throws {
        MediaBatchRuntime.start()
        let server = FakeOpenRouterServer(configuration: FakeConfiguration())
        try server.start()
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("http-setup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let manifest = folder + "/m.json"
        try Data(#"{"name": "m", "tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 3}]}"#.utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let plan = try BatchPlan(paths: [manifest], outputRoot: folder + "/out")

        var options = RunOptions(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        options.concurrency = 2
        options.retryBaseDelay = 0.01
        options.limits.lowSpeedSeconds = -1
        let summary = try BatchRunner(options: options).run(plan)

        #expect(summary.done == 0 && summary.failed == 3)
        for outcome in summary.outcomes {
            guard case .failed(let failure) = outcome.result else {
                Issue.record("\(outcome.taskID) did not fail")
                continue
            }
            #expect(failure.kind == .permanent && failure.cause == .transport(.setup))
            #expect(failure.message.contains("CURLOPT_LOW_SPEED_TIME"), "\(failure.message)")
            #expect(outcome.attempts == 1)
        }
        #expect(server.stats().requests == 0)
    }

    /// `curl_global_init` is asked once, by the HTTP module, whoever comes first; a failed
    /// status is a typed error naming libcurl's reason, not a trap.
    @Test func libcurlIsInitialisedByTheModuleOrFailsClearly() throws {
        let connections = DispatchQueue(label: "connections", attributes: .concurrent)
        let group = DispatchGroup()
        let failures = Failures()
        for _ in 0..<8 {
            connections.async(group: group) {
                do throws(HTTPError) { _ = try HTTPConnection() } catch { failures.add(error) }
            }
        }
        group.wait()
        #expect(failures.all.isEmpty)
        try CurlGlobal.ensureInitialised()

        let failed = httpError { try CurlGlobal.check(CURLE_FAILED_INIT) }
        #expect(failed?.kind == .setup)
        #expect(failed?.description == "cannot set up libcurl: curl_global_init failed: Failed initialization")
    }
}

private final class Failures: Sendable {
    private let errors = Locked<[HTTPError]>([])
    func add(_ error: HTTPError) { errors.withLock { $0.append(error) } }
    var all: [HTTPError] { errors.withLock { $0 } }
}
