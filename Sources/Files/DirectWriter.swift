import CFileFlags
import Glibc
import Support

/// Writes a new file's bytes with `O_DIRECT`, straight from memory to the disk.
///
/// It exists because a buffered write followed by `fdatasync` makes the writing process
/// pay for the page-cache copy and the whole writeback in the kernel: about 2.5 ms of
/// system CPU per MiB on the VM disk mediabatch was measured on, against 0.2 ms for the
/// same file written direct and then synced. Direct I/O wants block-aligned memory, file
/// offsets and lengths. Runs of bytes whose address is congruent to their file offset go
/// to the disk from where they lie (image decoding places them so, see `ImagePlacement`);
/// everything else travels through an aligned bounce buffer; the last partial block is
/// written buffered. A file system that refuses direct I/O (`EINVAL`) gets the rest of
/// the file written buffered.
package enum DirectWriter {
    /// `O_DIRECT` on this platform, 0 where there is none.
    package static let openFlag = mb_o_direct()
    /// The alignment asked of addresses, offsets and lengths (the page size; any logical
    /// block size up to it is satisfied).
    package static let blockSize = ByteArray.directIOAlignment
    /// Smaller files are written buffered: direct I/O would not pay for its round trip.
    package static let threshold = 64 * 1024

    /// Writes `chunks` (in order) to the empty descriptor `fd`, opened with `O_DIRECT`.
    /// The whole blocks go in as few `writev` calls as the bounce buffer allows (one for a
    /// typical image); the last, partial block is written buffered, so the file never needs
    /// cutting back (`ftruncate` would read that block back from the disk).
    package static func write(_ chunks: [UnsafeRawBufferPointer], to fd: Int32, path: String) throws(FileError) {
        let bounce = BounceBuffer.take()
        defer { BounceBuffer.give(bounce) }
        var file = Session(fd: fd, path: path, bounce: bounce)
        for chunk in chunks where chunk.count > 0 {
            try file.append(chunk.baseAddress!, count: chunk.count)
        }
        try file.finish()
    }

    /// One file in progress. `segments` are whole blocks waiting for `writev`, in file
    /// order: runs of the caller's memory that are in phase, and blocks assembled in the
    /// bounce buffer. The open block (`open` bytes at `openStart` in the bounce buffer)
    /// follows them.
    private struct Session {
        package let fd: Int32
        package let path: String
        package let bounce: BounceBuffer
        /// File offset of the next byte handed in.
        package var offset = 0
        package var segments: [iovec] = []
        package var openStart = 0
        package var open = 0
        package var direct = true

        package init(fd: Int32, path: String, bounce: BounceBuffer) {
            self.fd = fd
            self.path = path
            self.bounce = bounce
            segments.reserveCapacity(8)
        }

        package mutating func append(_ start: UnsafeRawPointer, count: Int) throws(FileError) {
            var position = 0
            while position < count {
                let source = start + position
                let left = count - position
                // In phase: this byte's address and its file offset agree modulo the block.
                let inPhase = (UInt(bitPattern: source) &- UInt(offset)) % UInt(blockSize) == 0
                if inPhase && open == 0 && left >= blockSize {
                    let run = left / blockSize * blockSize
                    try add(iovec(iov_base: UnsafeMutableRawPointer(mutating: source), iov_len: run))
                    offset += run
                    position += run
                    continue
                }
                if open == 0 && openStart == BounceBuffer.size { try flush() }
                let n = min(blockSize - open, left)
                (bounce.memory + openStart + open).copyMemory(from: source, byteCount: n)
                open += n
                offset += n
                position += n
                if open == blockSize {
                    try add(iovec(iov_base: bounce.memory + openStart, iov_len: blockSize))
                    openStart += blockSize
                    open = 0
                }
            }
        }

        /// Writes the waiting blocks, then the open block buffered.
        package mutating func finish() throws(FileError) {
            try flush()
            guard open > 0 else { return }
            if direct {
                direct = false
                try leaveDirectIO()
            }
            let tail = iovec(iov_base: bounce.memory + openStart, iov_len: open)
            try writeAll([tail])
        }

        private mutating func add(_ segment: iovec) throws(FileError) {
            // Neighbouring bounce blocks merge; `writev` takes at most IOV_MAX pieces.
            if let last = segments.last, last.iov_base! + last.iov_len == segment.iov_base! {
                segments[segments.count - 1].iov_len += segment.iov_len
            } else {
                if segments.count == 64 { try flush() }
                segments.append(segment)
            }
        }

        /// Writes the waiting blocks; the bounce buffer is free again afterwards.
        private mutating func flush() throws(FileError) {
            if !segments.isEmpty { try writeAll(segments) }
            segments.removeAll(keepingCapacity: true)
            if open == 0 { openStart = 0 }
        }

        private mutating func writeAll(_ pieces: [iovec]) throws(FileError) {
            var pieces = pieces
            var first = 0
            while first < pieces.count {
                let n = pieces.withUnsafeBufferPointer { writev(fd, $0.baseAddress! + first, Int32(pieces.count - first)) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EINVAL && direct {
                    // Direct I/O refused (the file system, or an alignment this device does
                    // not take): the same bytes, buffered.
                    direct = false
                    try leaveDirectIO()
                    continue
                }
                guard n >= 0 else { throw FileError("write", path) }
                guard n > 0 else { throw FileError("write", path, reason: "the file system took no bytes") }
                var consumed = n
                while first < pieces.count && consumed >= pieces[first].iov_len {
                    consumed -= pieces[first].iov_len
                    first += 1
                }
                if consumed > 0 {
                    pieces[first].iov_base = pieces[first].iov_base! + consumed
                    pieces[first].iov_len -= consumed
                }
            }
        }

        private func leaveDirectIO() throws(FileError) {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags & ~DirectWriter.openFlag) == 0 else { throw FileError("write", path) }
        }
    }
}

/// A page-aligned 1 MiB buffer for direct I/O, kept in a small process-wide pool so that a
/// write does not map and fault in fresh memory. The pool holds at most one buffer per
/// thread that wrote at the same time (the writer lanes and speech executors).
package final class BounceBuffer: @unchecked Sendable {
    // @unchecked Sendable, because: the idle pool is process-wide, so buffers pass between
    // threads, but a buffer has one user at a time. `take` removes it from the pool under
    // the pool's lock and hands it to one caller; that caller (`DirectWriter.write`) alone
    // reads and writes `memory`, on its own thread, for one file, then `give`s it back under
    // the same lock and keeps no reference. `memory` itself is a `let`.
    package static let size = 1 << 20
    package let memory: UnsafeMutableRawPointer

    private init() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: BounceBuffer.size, alignment: DirectWriter.blockSize)
    }

    deinit { memory.deallocate() }

    private static let idle = Locked<[BounceBuffer]>([])

    package static func take() -> BounceBuffer { idle.withLock { $0.popLast() } ?? BounceBuffer() }
    package static func give(_ buffer: BounceBuffer) { idle.withLock { $0.append(buffer) } }
}
