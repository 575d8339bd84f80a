import CVips
import Files
import Glibc
import Support

/// The gallery's thumbnails: small JPEGs under `<folder>/.mediabatch/thumbs/`, made once
/// with libvips and named by their image's SHA-256 (a retouched image gets a new one), so a
/// page of thousands of images loads a few dozen KiB per image instead of the full files.
/// Also reads each image's pixel size (its header only).
package enum Thumbnails {
    /// Fits a card twice over (cards are ~260 CSS pixels wide), for high-density screens.
    package static let box: Int32 = 480
    package static let folderName = ".mediabatch/thumbs"

    /// libvips started, once per process (thread-safe, like any global's first use).
    private static let started: Bool = mb_vips_start() == 0

    package struct Thumbnail: Sendable {
        /// Relative to the output folder; nil when none could be made (the page shows the file).
        package var path: String?
        /// The image's own size in pixels, when its header could be read.
        package var width: Int?
        package var height: Int?
    }

    /// The thumbnail of `file` (relative to `folder`, its SHA-256 `sha256`), made now if it
    /// is not there yet.
    package static func thumbnail(folder: String, file: String, sha256: String) -> Thumbnail {
        var result = Thumbnail()
        guard started else { return result }
        let source = folder + "/" + file
        if let image = VipsImageHandle(opening: source) {
            result.width = Int(mb_vips_width(image.pointer))
            result.height = Int(mb_vips_height(image.pointer))
        }
        let name = folderName + "/" + String(sha256.prefix(32)) + ".jpg"
        let target = folder + "/" + name
        if FileIO.exists(target) {
            result.path = name
            return result
        }
        guard (try? FileIO.makeDirectories(folder + "/" + folderName)) != nil,
            let thumbnail = VipsImageHandle(thumbnailOf: source, box: box)
        else { return result }
        // Written beside its name and renamed: a page never links a half-written thumbnail.
        let temporary = target + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jpg"
        guard mb_vips_save_jpeg(thumbnail.pointer, temporary, 78) == 0 else {
            mb_vips_error_clear()
            unlink(temporary)
            return result
        }
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            return result
        }
        result.path = name
        return result
    }
}

extension Thumbnails {
    /// Removes what no page shows any more: thumbnails of images gone or changed, and the
    /// temp files of runs killed while writing one (their process is gone).
    package static func sweep(folder: String, keeping shown: Set<String>) {
        let thumbs = folder + "/" + folderName
        guard let names = try? FileIO.listFolder(thumbs) else { return }
        for name in names where !shown.contains(folderName + "/" + name) {
            if let range = name.range(of: ".tmp-") {
                // `<hash>.jpg.tmp-<pid>-<n>.jpg`: a writer that still runs keeps its file.
                let pid = name[range.upperBound...].prefix { $0 != "-" }
                if let pid = Int32(pid), kill(pid, 0) == 0 || errno == EPERM { continue }
            }
            unlink(thumbs + "/" + name)
        }
    }
}

/// One `VipsImage *`, released in `deinit`; used on the thread that made it.
private final class VipsImageHandle {
    let pointer: OpaquePointer

    init?(opening path: String) {
        guard let image = mb_vips_open(path) else {
            mb_vips_error_clear()
            return nil
        }
        pointer = image
    }

    init?(thumbnailOf path: String, box: Int32) {
        var out: OpaquePointer?
        guard mb_vips_thumbnail(path, &out, box, box) == 0, let out else {
            mb_vips_error_clear()
            return nil
        }
        pointer = out
    }

    deinit { mb_vips_release(pointer) }
}

@available(*, unavailable)
extension VipsImageHandle: Sendable {}
