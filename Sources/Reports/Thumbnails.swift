import Files
import ImageScaling
import Glibc
import Support

/// The gallery's thumbnails: small JPEGs under `<folder>/.mediabatch/thumbs/`, made once
/// with libvips and named by their image's SHA-256 (a retouched image gets a new one), so a
/// page of thousands of images loads a few dozen KiB per image instead of the full files.
/// Also reads each image's pixel size (its header only).
package enum Thumbnails {
    /// Fits a card twice over (cards are ~260 CSS pixels wide), for high-density screens.
    package static let box = 480
    package static let folderName = ".mediabatch/thumbs"

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
        let source = folder + "/" + file
        if let size = ImageThumbnailer.pixelSize(of: source) {
            result.width = size.width
            result.height = size.height
        }
        let name = folderName + "/" + String(sha256.prefix(32)) + ".jpg"
        let target = folder + "/" + name
        if FileIO.exists(target) {
            result.path = name
            return result
        }
        guard (try? FileIO.makeDirectories(folder + "/" + folderName)) != nil else { return result }
        // Written beside its name and renamed: a page never links a half-written thumbnail.
        let temporary = target + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jpg"
        guard ImageThumbnailer.writeThumbnail(of: source, box: box, quality: 78, to: temporary) else {
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
