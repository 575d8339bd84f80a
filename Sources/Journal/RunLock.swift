import Files
import Glibc
import Support

/// An exclusive, non-blocking lock on an output root (one per shard), so that a cron job
/// that fires while the previous run is still busy exits at once instead of doubling the
/// work. Held through `flock` on `<root>/.mediabatch[.shard-i-of-n].lock`, released when
/// the process ends however it ends; the file says who holds it. The descriptor is owned
/// here and closed only in `deinit`.
public final class RunLock {
    public let path: String
    private let fd: Int32

    /// Someone else holds the lock.
    public struct Busy: Error, CustomStringConvertible {
        public let path: String
        public let holder: String
        public var description: String { "another mediabatch run holds \(path) (\(holder))" }
    }

    public enum Failure: Error, CustomStringConvertible {
        case busy(Busy)
        case file(FileError)
        public var description: String {
            switch self {
            case .busy(let busy): return busy.description
            case .file(let error): return error.description
            }
        }
    }

    public static func path(root: String, shard: Shard?) -> String {
        root + "/" + (shard.map { ".mediabatch.shard-\($0.index)-of-\($0.count).lock" } ?? ".mediabatch.lock")
    }

    public init(root: String, shard: Shard?) throws(Failure) {
        path = RunLock.path(root: root, shard: shard)
        do { try FileIO.makeDirectories(root) } catch { throw .file(error) }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .file(FileError("open the lock", path)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? FileIO.readAll(path, limit: 4096)).map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() } ?? ""
            close(descriptor)
            throw .busy(Busy(path: path, holder: holder.isEmpty ? "holder unknown" : holder))
        }
        fd = descriptor
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let note = Array("pid \(getpid()) on \(hostName) since \(UTCTime.now())\n".utf8)
        ftruncate(fd, 0)
        _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }
}
