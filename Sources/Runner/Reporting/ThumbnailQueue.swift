import Dispatch
import Files
import Reports
import Support

/// Makes the gallery's thumbnails while the run is still waiting on the network, one image
/// at a time at background priority, so the gallery at the end finds them made (libvips
/// decodes every pixel of a PNG: ~5 ms of CPU a MiB, seconds for a big batch if left to the
/// end). `finish` drops what is still queued (the gallery makes those on every core) and
/// waits for the one being made.
final class ThumbnailQueue: Sendable {
    private let queue = DispatchQueue(label: "mediabatch.thumbnails", qos: .utility)
    private let group = DispatchGroup()
    private let stopped = Locked(false)

    /// Queues the images among `files` (paths relative to `folder`).
    func add(folder: String, files: [WrittenFile]) {
        for file in files where Self.isImage(file.path) {
            queue.async(group: group) { [stopped] in
                guard !stopped.withLock({ $0 }) else { return }
                _ = Thumbnails.thumbnail(folder: folder, file: file.path, sha256: file.sha256)
            }
        }
    }

    /// Stops taking queued images and waits for the one in hand.
    func finish() {
        stopped.withLock { $0 = true }
        group.wait()
    }

    private static func isImage(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: ".") else { return false }
        return ["png", "jpg", "jpeg", "webp", "gif"].contains(path[path.index(after: dot)...].lowercased())
    }
}
