import Glibc

// The fuzz targets' scratch files, with plain system calls (no Foundation in a fuzzer's
// hot loop). Shared by every target that lays out a workspace.

/// Writes `bytes` to `path`, replacing it; a fuzz harness that cannot write its workspace
/// has nothing to test, so it stops.
public func write(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fatalError("cannot create \(path)") }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { fatalError("cannot write \(path)") }
        offset += n
    }
    close(fd)
}

/// `path` with every symbolic link resolved, or nil when it does not exist.
public func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Stops the fuzzer on a broken invariant, naming the target (libFuzzer then saves the input).
@inline(never)
public func fail(_ target: String, _ message: String) -> Never {
    print("\(target) invariant violated: \(message)")
    fatalError(message)
}

/// A target's scratch folders under /tmp, made once per process: `jobs` (where the manifest
/// and its inputs go, with a symlink `up` out of it and a symlink `escape` to a secret file
/// outside it) and `out` (the output root). Removed when the process exits normally; a crash
/// leaves it for inspection.
public struct FuzzWorkspace {
    public let base: String
    public let jobs: String
    /// `jobs` with symbolic links resolved: what confined paths must stay under.
    public let realJobs: String
    public let outputRoot: String

    /// `folders` and `files` are relative to `jobs`; `escape` is where the link to the
    /// secret file goes (relative to `jobs`), `secret` its bytes.
    public init(target: String, folders: [String], files: [(path: String, bytes: [UInt8])], escape: String, secret: [UInt8]) {
        let base = "/tmp/mediabatch-\(target).\(getpid())"
        let jobs = base + "/jobs"
        for folder in [base, jobs, base + "/out"] + folders.map({ jobs + "/" + $0 }) { mkdir(folder, 0o755) }
        for file in files { write(file.bytes, to: jobs + "/" + file.path) }
        write(secret, to: base + "/secret.png")
        symlink(base + "/secret.png", jobs + "/" + escape)
        symlink("..", jobs + "/up")
        nonisolated(unsafe) let command = strdup("rm -rf '\(base)'")
        removeAtExit = command
        atexit { _ = system(removeAtExit) }
        self.base = base
        self.jobs = jobs
        outputRoot = base + "/out"
        realJobs = realPath(jobs) ?? jobs
    }
}

nonisolated(unsafe) private var removeAtExit: UnsafeMutablePointer<CChar>?
