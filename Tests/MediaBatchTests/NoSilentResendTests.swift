import FakeOpenRouter
import Foundation
import HTTP
import Support
import Testing
import TestSupport

/// Money: libcurl sends a request again on a fresh connection, unasked, when a reused one
/// dies before any answer came; with the body as POSTFIELDS it did so for POSTs too, so a
/// stalled video submit made a second billed job the run never saw (found in a trial of
/// `jobs/` against the fake's faults: three submits for two clips, $0.80 uncounted). The
/// body now goes through a read callback that cannot rewind: the transfer fails instead.
@Suite struct NoSilentResendTests {
    @Test func aPostOnAReusedConnectionThatDiesIsNotSentAgain() throws {
        let server = try startFake { $0.faults.stallSeconds = 0.3 }
        defer { server.stop() }
        let connection = try HTTPConnection()
        func chat(_ prompt: String) -> HTTPRequest {
            let body = #"{"model":"google/gemini-2.5-flash-image","modalities":["image","text"],"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            return HTTPRequest(
                method: .post, url: server.baseURL + "/chat/completions",
                headers: [("Authorization", "Bearer k"), ("Content-Type", "application/json")], body: Array(body.utf8))
        }
        // A first exchange leaves the connection open for reuse.
        let first = try connection.perform(chat("a fox"), into: ByteArray())
        #expect(first.status == 200)
        // The second is held, then its connection closed with nothing sent back.
        #expect(throws: HTTPError.self) { try connection.perform(chat("a heron #fake:fault=stall"), into: ByteArray()) }
        let sent = server.requests().filter { String(decoding: $0.body, as: UTF8.self).contains("a heron") }
        #expect(sent.count == 1, "the request went \(sent.count) times")
    }
}
