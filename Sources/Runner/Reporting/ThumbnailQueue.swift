import Dispatch
import Foundation
import Files
import Reports
import Support

/// Makes the gallery's thumbnails while the run is still waiting on the network, at
/// background priority, one image at a time per core, so the gallery at the end finds them made (libvips
/// decodes every pixel of a PNG: ~5 ms of CPU a MiB, seconds for a big batch if left to the
/// end). `finish` drops what is still queued (the gallery makes those on every core) and
/// waits for the one being made.
final class ThumbnailQueue: Sendable {
    /// One lane per core: a 1 MiB PNG takes ~6 ms of CPU to decode and shrink, more than a
    /// fast batch leaves between its images, and the network wait leaves the cores idle.
    private let lanes = (0..<max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))).map {
        DispatchQueue(label: "mediabatch.thumbnails.\($0)", qos: .utility)
    }
    private let next = Locked(0)
    private let group = DispatchGroup()
    private let stopped = Locked(false)

    /// Queues the images among `files` (as the run wrote them: paths in `folder`).
    func add(folder: String, files: [WrittenFile]) {
        for file in files where Self.isImage(file.path) {
            // The gallery names a file relative to its folder, as the journal does.
            let name = FileIO.relative(file.path, to: folder)
            let lane = next.withLock { index in
                defer { index += 1 }
                return lanes[index % lanes.count]
            }
            lane.async(group: group) { [stopped] in
                guard !stopped.withLock({ $0 }) else { return }
                _ = Thumbnails.thumbnail(folder: folder, file: name, sha256: file.sha256)
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
