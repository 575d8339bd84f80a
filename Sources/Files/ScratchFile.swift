import CFileFlags
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
    /// Bytes written so far (the file's, or `memory`'s).
    private var size = 0
    /// Text not yet written, sent in blocks.
    private var pending: [UInt8] = []
    /// The fallback when no file could be made.
    private var memory: [UInt8]?
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
        let flag = mb_o_tmpfile()
        fd = flag != 0 ? open(folder, flag | O_RDWR | O_CLOEXEC, 0o600) : -1
        if fd < 0 { memory = [] }
    }

    /// Adds `text`; its place reads it back.
    public func append(_ text: String) -> Place {
        let place = Place(offset: size, length: text.utf8.count)
        size += place.length
        if memory != nil {
            memory!.append(contentsOf: text.utf8)
            return place
        }
        pending.append(contentsOf: text.utf8)
        if pending.count >= Self.block { flush() }
        return place
    }

    /// The text put at `place`; empty if the file can no longer be read.
    public func text(at place: Place) -> String {
        flush()  // first: a write that fails moves everything to `memory`
        if let memory { return String(decoding: memory[place.offset..<place.offset + place.length], as: UTF8.self) }
        let end = place.offset + place.length
        if place.offset < windowStart || end > windowStart + window.count {
            window = read(at: place.offset, count: max(place.length, Self.block))
            windowStart = place.offset
            guard end <= windowStart + window.count else { return "" }
        }
        return String(decoding: window[(place.offset - windowStart)..<(end - windowStart)], as: UTF8.self)
    }

    /// Writes what is pending. A write that fails (a full disk) moves everything to memory:
    /// the listing is not worth failing for.
    private func flush() {
        guard !pending.isEmpty, memory == nil else { return }
        let ok = pending.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size - bytes.count + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        if !ok {
            let written = size - pending.count
            memory = read(at: 0, count: written) + pending
            if memory!.count != size { memory = Array(repeating: 0x20, count: size) }
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func read(at offset: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        bytes.removeLast(count - done)
        return bytes
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

@available(*, unavailable)
extension ScratchFile: Sendable {}
