import HTTP
import JSON
import Media
import Support
import Tasks

/// Checks the answers to speech requests: raw audio on success, an error object otherwise;
/// and reads the cost of a finished generation.
public enum SpeechResponse {
    /// The audio bytes of a response, after checking status and Content-Type before
    /// anything is kept: an error body is JSON, never audio.
    public static func audio(from response: HTTPResponseHead, body: ByteArray, format: SpeechFormat) throws(TaskFailure) -> [UInt8] {
        guard response.status == 200 else {
            throw ErrorClassifier.failure(status: response.status, body: body, retryAfter: response.retryAfter, headers: response.headers)
        }
        let type = (response.contentType ?? "").lowercased()
        if type.hasPrefix("application/json") {
            // A 200 carrying an error object, never audio.
            throw ErrorClassifier.failure(status: 502, body: body, retryAfter: nil)
        }
        let bytes = body.bytes
        guard !bytes.isEmpty else { throw TaskFailure(.transient, cause: .response, status: 200, message: "empty audio body") }
        switch format {
        case .mp3:
            guard type.isEmpty || type.hasPrefix("audio/mpeg") || type.hasPrefix("audio/mp3") else {
                throw TaskFailure(.permanent, cause: .response, status: 200, message: "expected audio/mpeg, got \(type)")
            }
            guard (try? MP3Joiner.frameCount(of: bytes)).map({ $0 > 0 }) == true else {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "the mp3 body holds no audio frames (\(bytes.count) bytes)")
            }
        case .pcm:
            guard type.isEmpty || type.hasPrefix("audio/pcm") || type.hasPrefix("audio/l16") || type.hasPrefix("application/octet-stream") else {
                throw TaskFailure(.permanent, cause: .response, status: 200, message: "expected raw pcm audio, got \(type)")
            }
        }
        return bytes
    }

    /// `rate` and `channels` from a `Content-Type` such as `audio/pcm;rate=24000;channels=1`.
    public static func pcmParameters(_ contentType: String?) -> (rate: Int?, channels: Int?) {
        var rate: Int?
        var channels: Int?
        for parameter in (contentType ?? "").split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace().filter { $0 != "\"" } }
            guard pair.count == 2, let value = Int(pair[1]), value > 0 else { continue }
            switch pair[0].lowercased() {
            case "rate": rate = value
            case "channels": channels = value
            default: break
            }
        }
        return (rate, channels)
    }

    /// The cost OpenRouter reports for a generation (`GET /generation?id=`), or nil.
    public static func generationCost(_ body: ByteArray) -> Double? {
        guard let document = try? body.withUnsafeBytes({ try JSONEncoding.parse($0, source: "generation") }) else { return nil }
        return document["data"]?["total_cost"]?.doubleValue ?? document["data"]?["usage"]?.doubleValue
    }
}
