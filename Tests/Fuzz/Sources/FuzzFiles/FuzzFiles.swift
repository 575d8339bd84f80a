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
