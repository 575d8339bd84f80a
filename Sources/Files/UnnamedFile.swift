import CFileFlags
import Glibc

/// What `ScratchFile` and `FileSnapshot` share: a file with no name in a folder
/// (`O_TMPFILE`), dropped by the kernel when its descriptor closes, and whole reads and
/// writes at an offset. The descriptor belongs to the caller, who closes it.
enum UnnamedFile {
    /// A new unnamed file in `folder`, open for reading and writing, or -1 where none can be made.
    static func open(in folder: String) -> Int32 {
        let flag = mb_o_tmpfile()
        return flag != 0 ? Glibc.open(folder, flag | O_RDWR | O_CLOEXEC, 0o600) : -1
    }

    /// Writes all of `bytes` at `offset`; the bytes written (fewer on an error: a full disk).
    static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at offset: Int) -> Int {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        return done
    }

    /// `count` bytes from `offset` (fewer at the end of the file or on an error).
    static func read(_ fd: Int32, at offset: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
            filled = done
        }
    }
}
