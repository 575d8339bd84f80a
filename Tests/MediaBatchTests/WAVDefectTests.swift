import Foundation
import Media
import OpenRouter
import Runner
import Tasks
import Testing

/// Parameters a WAV header cannot hold used to reach a `precondition` (a crash of the whole
/// run); they are now a thrown `WAVError`, and a failed task where the runner writes WAV.
@Suite struct WAVDefectTests {
    @Test func parametersAWAVHeaderCannotHoldAreThrown() throws {
        #expect(throws: WAVError.sampleRateOutOfRange(0)) { try WAVFile.wav(pcm16LE: [1, 2], sampleRate: 0) }
        #expect(throws: WAVError.sampleRateOutOfRange(-8000)) { try WAVFile.joinPCM([[1, 2]], sampleRate: -8000) }
        // The byte rate (rate × 2 × channels) is a 32-bit field: it used to wrap silently.
        #expect(throws: WAVError.sampleRateOutOfRange(Int(UInt32.max))) { try WAVFile.wav(pcm16LE: [1, 2], sampleRate: Int(UInt32.max)) }
        #expect(throws: WAVError.channelsOutOfRange(0)) { try WAVFile.wav(pcm16LE: [1, 2], sampleRate: 8000, channels: 0) }
        #expect(throws: WAVError.channelsOutOfRange(65)) { try WAVFile.joinPCM([], sampleRate: 8000, channels: 65) }
        #expect(WAVError.sampleRateOutOfRange(0).description == "WAV: sample rate 0 Hz is out of range")

        // The largest byte rate that fits is still written; odd-length PCM is still trimmed.
        let widest = try WAVFile.wav(pcm16LE: [1, 2, 3], sampleRate: Int(UInt32.max) / 2)
        #expect(widest.count == 46)
        #expect(try WAVFile.parse(widest).sampleRate == Int(UInt32.max) / 2)
    }

    @Test func theSpeechWriterTurnsAWAVRefusalIntoAPermanentFailure() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wav-defect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let executor = SpeechTaskExecutor(
            client: OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: "http://127.0.0.1:9/api/v1", apiKey: "k")),
            claims: PathClaims(), costs: nil, sidecars: true)

        let task = SpeechTask(
            id: "narration", manifestName: "m", origin: TaskOrigin(file: "m.json", line: 2),
            output: OutputTarget(folder: folder, baseName: "narration"), text: "Hello.",
            model: try #require(ModelRef("openai/gpt-4o-mini-tts")), voice: "alloy", speed: nil,
            format: .pcm, sampleRate: 0, provider: nil, maxChars: 4000, title: nil, keepChunks: true)
        do {
            _ = try executor.write([[1, 2, 3, 4], [5, 6]], for: task)
            Issue.record("a sample rate of 0 was written")
        } catch {
            #expect(error.kind == .permanent)
            #expect(error.cause == .response)
            #expect(error.message == "cannot write the narration as WAV: WAV: sample rate 0 Hz is out of range")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
