import Glibc

/// A file's bytes as they were when it was read, kept in an unnamed scratch file rather than
/// in memory, and read back by range: a rows file of a hundred thousand lines is read front to
/// back once (`scan`) and each row again when its task is expanded (`bytes(in:)`), hours later
/// in a long run, unchanged by edits made to the file meanwhile. The scratch file has no name
/// (`O_TMPFILE` in the temp folder; in RAM, though not on the heap, where that folder is a
/// tmpfs): the kernel drops it when the descriptor closes. Where no such file can be made,
/// the bytes stay in memory instead.
public final class FileSnapshot: Sendable {
    /// The file's size when it was read.
    public let count: Int
    /// The scratch file, or -1 when the bytes are in `memory`.
    private let fd: Int32
    private let memory: [UInt8]

    /// Bytes read at a time.
    public static let block = 1 << 20

    /// Copies the regular file at `path`, refusing one larger than `limit` bytes.
    public init(copying path: String, limit: Int, scratchFolder: String = ScratchFile.temporaryFolder) throws(FileError) {
        let scratch = UnnamedFile.open(in: scratchFolder)
        var count = 0
        var memory: [UInt8] = []
        var copied = scratch >= 0
        var lost = false
        do throws(FileError) {
            try FileIO.forEachBlock(path, size: Self.block, limit: limit) { bytes in
                if copied, UnnamedFile.write(bytes, to: scratch, at: count) < bytes.count {
                    // A full temp folder: what was copied is read back into memory, the rest follows.
                    memory = UnnamedFile.read(scratch, at: 0, count: count)
                    lost = memory.count < count
                    copied = false
                }
                if !copied { memory.append(contentsOf: bytes) }
                count += bytes.count
            }
            if lost { throw FileError("read", path, reason: "its copy in the temp folder could not be read back") }
        } catch {
            if scratch >= 0 { close(scratch) }
            throw error
        }
        if !copied && scratch >= 0 { close(scratch) }
        self.fd = copied ? scratch : -1
        self.memory = memory
        self.count = count
    }

    /// Bytes already in memory, as a snapshot (tests, and text that is not a file).
    public init(bytes: [UInt8]) {
        fd = -1
        memory = bytes
        count = bytes.count
    }

    /// Bytes `range` of the file as it was read (fewer if `range` passes its end).
    public func bytes(in range: Range<Int>) -> [UInt8] {
        let range = range.clamped(to: 0..<count)
        guard fd >= 0 else { return Array(memory[range]) }
        return UnnamedFile.read(fd, at: range.lowerBound, count: range.count)
    }

    /// Reads the file front to back a block at a time. `body` gets the bytes not consumed
    /// yet from `offset`, and whether they run to the end of the file, and returns how many
    /// it consumed (the rest comes again, with the next block; a record longer than the
    /// block gets a larger one), or nil to stop reading.
    /// Returns false when the copy could not be read back whole (an I/O error in the temp
    /// folder): what `body` saw is then not the whole file.
    @discardableResult
    public func scan(block: Int = FileSnapshot.block, _ body: (_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ atEnd: Bool) -> Int?) -> Bool {
        var offset = 0
        var want = max(block, 1)
        while offset < count {
            let range = offset..<min(offset + want, count)
            let chunk = bytes(in: range)
            guard chunk.count == range.count else { return false }
            let atEnd = range.upperBound == count
            guard let consumed = chunk.withUnsafeBytes({ body($0, offset, atEnd) }), !atEnd else { return true }
            if consumed == 0 {
                want *= 2
            } else {
                offset += consumed
                want = max(block, 1)
            }
        }
        return true
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}
