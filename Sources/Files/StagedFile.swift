import CFileFlags
import Glibc

/// A file written in full and fsynced but not yet visible under its final name.
///
/// It starts life as an unnamed `O_TMPFILE` inode in the target folder, so a crash (even
/// `kill -9`) leaves nothing behind, and `commit` gives it its name with one `linkat` —
/// half the directory operations of the classic temp-name-plus-rename, which matters when
/// dozens of workers write into one folder. Replacing an existing file goes through a named
/// temp file and `rename`, still atomic. File systems without `O_TMPFILE` get the same
/// fallback. Synced files larger than 64 KiB are written with direct I/O (`DirectWriter`).
/// The descriptor is owned here and closed in exactly one place, `deinit`.
public final class StagedFile {
    public let path: String
    private let fd: Int32
    private let anonymous: Bool
    private var committed = false
    /// Where `commit` named it.
    private var committedPath: String?

    // O_TMPFILE (with O_DIRECTORY in it) from the C shim: Glibc does not export it to Swift.
    // 0 where the platform has none: then the named fallback is used.
    private static let openTmpFile: Int32 = mb_o_tmpfile()

    /// Writes (and with `sync`, fsyncs) `chunks`; nothing is visible at `path` yet.
    public init(_ chunks: [UnsafeRawBufferPointer], for path: String, mode: mode_t = 0o644, sync: Bool = true) throws(FileError) {
        self.path = path
        let folder = FileIO.directory(of: path)
        try FileIO.makeDirectories(folder)
        let total = chunks.reduce(0) { $0 + $1.count }
        // Synced files of some size go straight to the disk (see DirectWriter).
        var direct = sync && total >= DirectWriter.threshold && DirectWriter.openFlag != 0
        var descriptor: Int32 = -1
        if StagedFile.openTmpFile != 0 {
            if direct { descriptor = open(folder, StagedFile.openTmpFile | O_WRONLY | O_CLOEXEC | DirectWriter.openFlag, mode) }
            if descriptor < 0 {
                direct = false
                descriptor = open(folder, StagedFile.openTmpFile | O_WRONLY | O_CLOEXEC, mode)
            }
        }
        anonymous = descriptor >= 0
        if descriptor < 0 {
            direct = false
            descriptor = open(StagedFile.tempName(for: path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            guard descriptor >= 0 else { throw FileError("create a temp file for", path) }
        }
        fd = descriptor
        if direct {
            try DirectWriter.write(chunks, to: fd, path: path)
            guard fdatasync(fd) == 0 else { throw FileError("fsync", path) }
            return
        }
        for chunk in chunks { try Self.writeAll(chunk, to: fd, path: path) }
        guard !sync || fdatasync(fd) == 0 else { throw FileError("fsync", path) }
    }

    /// An empty staged file to be filled piece by piece (`append`), for a body too large to
    /// hold in memory (a downloaded video); readable (`read(at:count:)`) to check what was
    /// written, synced by `sync()`. Nothing is visible at `path` until `commit`.
    public init(streamingFor path: String, mode: mode_t = 0o644) throws(FileError) {
        self.path = path
        let folder = FileIO.directory(of: path)
        try FileIO.makeDirectories(folder)
        var descriptor: Int32 = -1
        if StagedFile.openTmpFile != 0 { descriptor = open(folder, StagedFile.openTmpFile | O_RDWR | O_CLOEXEC, mode) }
        anonymous = descriptor >= 0
        if descriptor < 0 {
            descriptor = open(StagedFile.tempName(for: path), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            guard descriptor >= 0 else { throw FileError("create a temp file for", path) }
        }
        fd = descriptor
    }

    /// Bytes written so far by `append`.
    public private(set) var appendedBytes = 0

    /// Writes `bytes` after what `append` wrote before (a streaming staged file).
    public func append(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        try Self.writeAll(bytes, to: fd, path: path)
        appendedBytes += bytes.count
    }

    /// `append` for an array (`withUnsafeBytes` only rethrows untyped errors: the typed one
    /// comes out through a Result here, once, not at every caller).
    public func append(_ bytes: [UInt8]) throws(FileError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try append(raw) } }.get()
    }

    /// Writes all of `bytes` at the descriptor's position (a short write goes on, EINTR is
    /// tried again).
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError("write", path) }
            done += n
        }
    }

    /// Up to `count` bytes at `offset` of what was written; nil when they cannot be read.
    public func read(at offset: Int, count: Int) -> [UInt8]? {
        guard count >= 0, offset >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard n >= 0 else { return nil }
        return Array(bytes.prefix(n))
    }

    /// Puts what was appended on disk before the file is named.
    public func sync() throws(FileError) {
        guard fdatasync(fd) == 0 else { throw FileError("fsync", path) }
    }

    deinit {
        close(fd)
        if !anonymous && !committed { unlink(StagedFile.tempName(for: path, pid: getpid())) }
    }

    /// Makes the file visible at `path`, replacing what was there.
    public func commit() throws(FileError) { try commit(as: path) }

    /// Makes the file visible at `target` (in the same folder as `path`: a streamed video
    /// whose container the server named only once it arrived), replacing what was there.
    public func commit(as target: String) throws(FileError) {
        precondition(!committed, "a staged file is committed once")
        let path = target
        if anonymous {
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 {
                committedPath = path
                committed = true
                return
            }
            guard errno == EEXIST else { throw FileError("name", path) }
            // Replacing a file: link under a temp name, then rename over the old one.
            let temp = StagedFile.tempName(for: path)
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0 else {
                throw FileError("name", temp)
            }
            guard rename(temp, path) == 0 else {
                let error = FileError("rename into", path)
                unlink(temp)
                throw error
            }
        } else {
            guard rename(StagedFile.tempName(for: self.path, pid: getpid()), path) == 0 else { throw FileError("rename into", path) }
        }
        committedPath = path
        committed = true
    }

    /// Removes a committed file again (a later file of the same task failed).
    public func revoke() {
        if committed { unlink(committedPath ?? path) }
    }

    private static func tempName(for path: String, pid: pid_t = getpid()) -> String {
        let folder = FileIO.directory(of: path)
        let name = FileIO.lastComponent(path)
        return "\(folder)/.\(name)\(FileIO.tempMarker)\(pid)"
    }
}
