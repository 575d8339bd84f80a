import Files
import Manifest
import OpenRouter
import Tasks

/// The one place that turns a video task's frame and reference fields into the images its
/// request carries: a file is read whole (within the manifest's limit for input images), a
/// URL goes as it is. (Chained tasks will teach it `@<task id>`: another task's output.)
package enum VideoInputReader {
    package static func images(for task: VideoTask) throws(TaskFailure) -> VideoRequest.Images {
        VideoRequest.Images(
            firstFrame: try task.firstFrame.map { input throws(TaskFailure) in try image(input) },
            lastFrame: try task.lastFrame.map { input throws(TaskFailure) in try image(input) },
            references: try task.references.map { input throws(TaskFailure) in try image(input) })
    }

    package static func image(_ input: VideoImageInput) throws(TaskFailure) -> ReferenceImage {
        switch input {
        case .url(let url): return .url(url)
        case .file(let path):
            do { return .file(path: path, bytes: try FileIO.readAll(path, limit: ImageFields.maxInputImageBytes)) } catch {
                throw TaskFailure(.permanent, cause: .file(path: path), message: error.description)
            }
        }
    }
}
