import Files
import Manifest
import OpenRouter
import Support
import Tasks

/// The one place that turns a video task's frame and reference fields into the images its
/// request carries: a file is read whole (within the manifest's limit for input images), a
/// URL goes as it is. Another task's output (`@id`) arrives here already turned into the
/// producer's file by the planner; `digests` holds the SHA-256 each such file must still have
/// (its key was made with it).
package enum VideoInputReader {
    package static func images(for task: VideoTask, digests: [String: String] = [:]) throws(TaskFailure) -> VideoRequest.Images {
        VideoRequest.Images(
            firstFrame: try task.firstFrame.map { input throws(TaskFailure) in try image(input, digests: digests) },
            lastFrame: try task.lastFrame.map { input throws(TaskFailure) in try image(input, digests: digests) },
            references: try task.references.map { input throws(TaskFailure) in try image(input, digests: digests) })
    }

    package static func image(_ input: VideoImageInput, digests: [String: String] = [:]) throws(TaskFailure) -> ReferenceImage {
        switch input {
        case .url(let url): return .url(url)
        case .task(let reference):
            throw TaskFailure(.permanent, cause: .plan, message: "\(reference) was not resolved to its producer's file; nothing was sent")
        case .file(let path): return try ReferenceFiles.read(path, limit: ImageFields.maxInputImageBytes, digests: digests)
        }
    }
}
