import Files
import OpenRouter
import Support
import Tasks

/// Reads the images a request carries (image references, video frames): a URL goes as it
/// is, a file is read whole within `limit`, and one that is another task's output must still
/// have the SHA-256 its task's key was made with (`digests`, by path).
enum ReferenceFiles {
    static func read(_ path: String, limit: Int, digests: [String: String]) throws(TaskFailure) -> ReferenceImage {
        if path.hasPrefix("http://") || path.hasPrefix("https://") { return .url(path) }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path, limit: limit) } catch {
            throw TaskFailure(.permanent, cause: .file(path: path), message: error.description)
        }
        if let expected = digests[path], SHA256.hex(bytes) != expected {
            throw TaskFailure(
                .permanent, cause: .file(path: path),
                message: "\(path), another task's output this task takes, changed after that task wrote it; nothing was sent, run again to use the new file")
        }
        return .file(path: path, bytes: bytes)
    }
}
