import JSON
import OpenRouter
import Support
import Tasks

/// The identity of one narration chunk's request, and so the name its kept audio goes by:
/// the SHA-256 of the canonical form (`RequestKey.canonical`: sorted keys, length-prefixed
/// strings) of the body `POST /audio/speech` gets for it — model, voice, speed (when set),
/// response format, provider (with its options) and the chunk's text — plus the sample rate
/// for pcm, which the WAV header depends on. The same chunk of text in the same voice and
/// settings has the same hash in every narration and every run; any other setting does not.
package enum ChunkKey {
    package static func of(_ task: SpeechTask, text: String) -> String {
        var body = SpeechRequest.body(for: task, input: text)
        if task.format == .pcm { body["sample_rate"] = .int(Int64(task.sampleRate)) }
        var material = Array("mediabatch-chunk-v1\n\(SpeechRequest.path)\n".utf8)
        RequestKey.canonical(.object(body), into: &material)
        return SHA256.hex(material)
    }
}
