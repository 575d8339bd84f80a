import Files
import Glibc
import Support

/// An exclusive, non-blocking lock on one output folder (one per shard), so that a cron job
/// that fires while the previous run on the same folder is still busy exits at once instead
/// of doubling the work, while runs writing other folders of the same root go on side by
/// side. Held through `flock` on `<folder>/.mediabatch/run[.shard-i-of-n].lock`, released
/// when the process ends however it ends; the file says who holds it. A clean end removes
/// the file (before letting go of it: whoever opened it meanwhile finds, once it has the
/// lock, that the path no longer names its file, and takes the lock anew), so only a run
/// that was killed leaves one, and `holder` tells that its process is gone. The descriptor
/// is owned here and closed only in `deinit`.
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

    /// Who a lock file names, and whether that process still runs (on this host).
    public struct Holder: Sendable, CustomStringConvertible {
        public let pid: Int32
        public let host: String
        public let since: String
        /// The process is alive here, or runs on another host (then it cannot be told).
        public let running: Bool
        public var description: String {
            "pid \(pid) on \(host) since \(since)" + (running ? "" : " (no longer running: a lock left by a killed run)")
        }
    }

    public static func path(folder: String, shard: Shard?) -> String {
        folder + "/.mediabatch/" + (shard.map { "run.shard-\($0.index)-of-\($0.count).lock" } ?? "run.lock")
    }

    /// The lock files of an output folder: the plain one and each shard's that exists.
    public static func paths(folder: String) -> [String] {
        let names = (try? FileIO.listFolder(folder + "/.mediabatch")) ?? []
        return names.filter { $0.hasPrefix("run") && $0.hasSuffix(".lock") }.sorted().map { folder + "/.mediabatch/" + $0 }
    }

    /// The runs whose locks an output folder holds: `nil` for the plain run, and each shard
    /// that has a lock file (`run.shard-<i>-of-<n>.lock`, the names `path` gives).
    public static func shards(folder: String) -> [Shard?] {
        var shards: [Shard?] = []
        for path in paths(folder: folder) {
            let name = FileIO.lastComponent(path)
            if name == "run.lock" { shards.append(nil); continue }
            guard name.hasPrefix("run.shard-") else { continue }
            let parts = name.dropFirst("run.shard-".count).dropLast(".lock".count).split(separator: "-")
            if parts.count == 3, parts[1] == "of", let index = Int(parts[0]), let count = Int(parts[2]) {
                shards.append(Shard(index: index, count: count))
            }
        }
        return shards
    }

    /// The holder a lock file names; nil when there is no such file or it names nobody.
    public static func holder(path: String) -> Holder? {
        guard let bytes = try? FileIO.readAll(path, limit: 4096) else { return nil }
        let words = String(decoding: bytes, as: UTF8.self).trimmingWhitespace().split(separator: " ")
        // "pid N on HOST since TIME"
        guard words.count >= 6, words[0] == "pid", let pid = Int32(words[1]), words[2] == "on", words[4] == "since" else { return nil }
        let host = String(words[3])
        let running = host != hostName() || kill(pid, 0) == 0 || errno == EPERM
        return Holder(pid: pid, host: host, since: words[5...].joined(separator: " "), running: running)
    }

    public init(folder: String, shard: Shard?) throws(Failure) {
        path = RunLock.path(folder: folder, shard: shard)
        do { try FileIO.makeDirectories(folder + "/.mediabatch") } catch { throw .file(error) }
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw .file(FileError("open the lock", path)) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let holder = (try? FileIO.readAll(path, limit: 4096)).map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() } ?? ""
                close(descriptor)
                throw .busy(Busy(path: path, holder: holder.isEmpty ? "holder unknown" : holder))
            }
            // The holder before may have removed the file between our open and our lock.
            var held = stat(), named = stat()
            if fstat(descriptor, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                fd = descriptor
                break
            }
            close(descriptor)
        }
        let note = Array("pid \(getpid()) on \(RunLock.hostName()) since \(UTCTime.now())\n".utf8)
        ftruncate(fd, 0)
        _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    private static func hostName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes the file while still holding it, then lets go.
    deinit {
        unlink(path)
        close(fd)
    }
}
