import JSON
import Tasks

/// Shapes speech requests (`POST /audio/speech`) and checks their raw-audio answers.
public enum SpeechRequest {
    public static let path = "/audio/speech"

    /// The body for one chunk: `response_format` always (OpenRouter defaults to pcm),
    /// `speed` only when set, `provider` (with any `options.<slug>`) as given.
    public static func body(for task: SpeechTask, input: String) -> JSONObject {
        var body = JSONObject()
        body["model"] = .string(task.model.wireID)
        body["input"] = .string(input)
        body["voice"] = .string(task.voice)
        body["response_format"] = .string(task.format.rawValue)
        if let speed = task.speed { body["speed"] = .double(speed) }
        if let provider = task.provider { body["provider"] = provider }
        return body
    }
}
