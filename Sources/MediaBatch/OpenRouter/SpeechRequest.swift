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

    /// The audio bytes of a response, after checking status and Content-Type before
    /// anything is kept: an error body is JSON, never audio.
    public static func audio(from response: HTTPResponse, format: SpeechFormat) throws(TaskFailure) -> [UInt8] {
        guard response.status == 200 else {
            throw ErrorClassifier.failure(status: response.status, body: response.body, retryAfter: response.retryAfter)
        }
        let type = (response.contentType ?? "").lowercased()
        if type.hasPrefix("application/json") {
            // A 200 carrying an error object, never audio.
            throw ErrorClassifier.failure(status: 502, body: response.body, retryAfter: nil)
        }
        let bytes = response.body.bytes
        guard !bytes.isEmpty else { throw TaskFailure(.transient, status: 200, message: "empty audio body") }
        switch format {
        case .mp3:
            guard type.isEmpty || type.hasPrefix("audio/mpeg") || type.hasPrefix("audio/mp3") else {
                throw TaskFailure(.permanent, status: 200, message: "expected audio/mpeg, got \(type)")
            }
            guard (try? MP3Joiner.frameCount(of: bytes)).map({ $0 > 0 }) == true else {
                throw TaskFailure(.transient, status: 200, message: "the mp3 body holds no audio frames (\(bytes.count) bytes)")
            }
        case .pcm:
            guard type.isEmpty || type.hasPrefix("audio/pcm") || type.hasPrefix("audio/l16") || type.hasPrefix("application/octet-stream") else {
                throw TaskFailure(.permanent, status: 200, message: "expected raw pcm audio, got \(type)")
            }
        }
        return bytes
    }

    /// The cost OpenRouter reports for a generation (`GET /generation?id=`), or nil.
    public static func generationCost(_ body: ByteArray) -> Double? {
        guard let document = try? body.withUnsafeBytes({ try JSONEncoding.parse($0, source: "generation") }) else { return nil }
        return document["data"]?["total_cost"]?.doubleValue ?? document["data"]?["usage"]?.doubleValue
    }
}
