import Glibc

/// Text too big to keep in memory while it waits, written to a file nobody else sees and read
/// back by place: `plan` of a hundred thousand tasks puts its listing lines (~15 MiB) here
/// while the planner decides each task's state. The file has no name (`O_TMPFILE` in the
/// temp folder): the kernel drops it when the descriptor closes, even after a crash. Where
/// no such file can be made (no writable temp folder), the text stays in memory instead.
public final class ScratchFile {
    /// Where a piece of text sits: to read it back.
    public struct Place: Sendable {
        fileprivate let offset: Int
        fileprivate let length: Int
    }

    private let fd: Int32
    /// Bytes in the file; whatever was appended after them is in `tail`.
    private var flushed = 0
    /// Text not in the file: waiting to be written a block at a time, or kept here for good
    /// once the file cannot take it (no file could be made, or a write failed: a full disk).
    private var tail: [UInt8] = []
    private var spooling: Bool
    /// A window of the file read ahead, and where it starts: text read in order costs one
    /// read a block.
    private var window: [UInt8] = []
    private var windowStart = 0

    private static let block = 1 << 16

    public static var temporaryFolder: String {
        Glibc.getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// A scratch file in `folder`, by default the temp folder (`TMPDIR`, else `/tmp`).
    public init(in folder: String = ScratchFile.temporaryFolder) {
        fd = UnnamedFile.open(in: folder)
        spooling = fd >= 0
    }

    /// Adds `text`; its place reads it back.
    public func append(_ text: String) -> Place {
        let place = Place(offset: flushed + tail.count, length: text.utf8.count)
        tail.append(contentsOf: text.utf8)
        if spooling && tail.count >= Self.block { flush() }
        return place
    }

    /// The place of a text `length` bytes long appended right after the one at `previous`
    /// (nil: the first): texts read back in order need only their lengths kept.
    public func place(following previous: Place?, length: Int) -> Place {
        Place(offset: previous.map { $0.offset + $0.length } ?? 0, length: length)
    }

    /// The text put at `place` (a place lies wholly in the file or wholly in `tail`).
    public func text(at place: Place) -> String {
        if place.offset >= flushed {
            let start = place.offset - flushed
            return String(decoding: tail[start..<start + place.length], as: UTF8.self)
        }
        let end = place.offset + place.length
        if place.offset < windowStart || end > windowStart + window.count {
            window = read(at: place.offset, count: max(place.length, Self.block))
            windowStart = place.offset
            guard end <= windowStart + window.count else { return "" }
        }
        return String(decoding: window[(place.offset - windowStart)..<(end - windowStart)], as: UTF8.self)
    }

    /// Writes `tail` to the file. A write that fails stops the spooling: what the file
    /// holds stays readable there, the rest stays in memory (a listing is not worth failing
    /// for).
    private func flush() {
        let written = tail.withUnsafeBytes { UnnamedFile.write($0, to: fd, at: flushed) }
        guard written == tail.count else {
            spooling = false  // bytes past `flushed` that did reach the file are simply not used
            return
        }
        flushed += written
        tail.removeAll(keepingCapacity: true)
    }

    private func read(at offset: Int, count: Int) -> [UInt8] { UnnamedFile.read(fd, at: offset, count: count) }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

@available(*, unavailable)
extension ScratchFile: Sendable {}
