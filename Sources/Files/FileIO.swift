import Glibc

/// A file system operation that failed, with the path and the system's reason.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let reason: String
    /// The system's error number when a call failed (`ENOSPC`, `EACCES`, ...); nil when the
    /// reason is mediabatch's own ("not a regular file"). A run stops on some of them.
    public let code: Int32?

    package init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.reason = String(cString: strerror(code))
        self.code = code
    }

    package init(_ operation: String, _ path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.code = nil
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// The file system calls mediabatch makes, in one place, with `errno` turned into errors.
public enum FileIO {
    /// An input file's identity for a run: `path:size:seconds.nanoseconds` of its last
    /// change, or the path alone when it cannot be read. Equal stamps mean an unchanged file
    /// without reading it.
    public static func stamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path }
        return "\(path):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// Reads a whole regular file, refusing one larger than `limit` bytes.
    public static func readAll(_ path: String, limit: Int = Int.max) throws(FileError) -> [UInt8] {
        try readAll(path, from: 0, limit: limit)
    }

    /// Reads a regular file from byte `offset` to its end (empty when it is not that long).
    public static func readAll(_ path: String, from offset: Int, limit: Int = Int.max) throws(FileError) -> [UInt8] {
        let (fd, fileSize) = try openRegularFile(path)
        defer { close(fd) }
        let size = max(0, fileSize - offset)
        guard size <= limit else { throw FileError("read", path, reason: "larger than the limit of \(limit) bytes") }
        var failure: FileError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = pread(fd, buffer.baseAddress! + done, size - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = FileError("read", path); break }
                if n == 0 { break }
                done += n
            }
            count = done
        }
        if let failure { throw failure }
        return bytes
    }

    /// A descriptor of the regular file at `path` opened for reading, and its size; the
    /// caller closes it.
    private static func openRegularFile(_ path: String) throws(FileError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("read", path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = FileError("read", path)
            close(fd)
            throw failure
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw FileError("read", path, reason: "not a regular file")
        }
        return (fd, Int(info.st_size))
    }

    /// Calls `body` with each line (without its newline; a last line without one too) of the
    /// regular file at `path` from byte `offset`, reading a block at a time: a journal of a
    /// hundred thousand tasks is never in memory whole. Returns the bytes read.
    @discardableResult
    public static func forEachLine(_ path: String, from offset: Int = 0, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) -> Int {
        let (fd, _) = try openRegularFile(path)
        defer { close(fd) }
        let block = 1 << 20
        var buffer = [UInt8](repeating: 0, count: block)
        var filled = 0  // bytes in `buffer`: the unfinished line carried over, then what was read
        var position = offset
        while true {
            if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }  // a line longer than the buffer
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(position)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileError("read", path) }
            position += n
            filled += n
            let atEnd = n == 0
            let consumed = buffer.withUnsafeBytes { raw -> Int in
                var start = 0
                while start < filled {
                    guard let end = raw[start..<filled].firstIndex(of: UInt8(ascii: "\n")) else {
                        if atEnd { body(UnsafeRawBufferPointer(rebasing: raw[start..<filled])) }
                        return atEnd ? filled : start
                    }
                    body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end + 1
                }
                return start
            }
            if atEnd { return position - offset }
            // The unfinished line moves to the front.
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    if filled > consumed { raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: filled - consumed) }
                }
                filled -= consumed
            }
        }
    }

    /// Calls `body` with the regular file at `path`, `size` bytes at a time, refusing a file
    /// larger than `limit` bytes (as it was opened) before reading any.
    public static func forEachBlock(
        _ path: String, size: Int, limit: Int = Int.max, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        let (fd, fileSize) = try openRegularFile(path)
        defer { close(fd) }
        guard fileSize <= limit else { throw FileError("read", path, reason: "larger than the limit of \(limit) bytes") }
        var buffer = [UInt8](repeating: 0, count: size)
        var position = 0
        while position < fileSize {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, min($0.count, fileSize - position), off_t(position)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileError("read", path) }
            if n == 0 { return }  // the file shrank meanwhile
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            position += n
        }
    }

    /// The first `count` bytes of a file (fewer when it is shorter); nil when it cannot be read.
    public static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            done += n
        }
        return Array(bytes.prefix(done))
    }

    /// Writes `chunks` to `path` atomically: see `StagedFile`. A crash leaves either the
    /// old file or the new one, never a partial one.
    public static func writeAtomically(_ chunks: [UnsafeRawBufferPointer], to path: String, mode: mode_t = 0o644) throws(FileError) {
        let staged = try StagedFile(chunks, for: path, mode: mode)
        try staged.commit()
    }

    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try writeAtomically([raw], to: path) } }.get()
    }

    /// The marker in the name of a named temp file (used only to replace an existing file);
    /// leftovers from a crash carry it and are removed by the next run.
    public static let tempMarker = ".mbtmp-"

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw FileError("create folder", current) }
        }
        guard isDirectory(path) else { throw FileError("create folder", path, reason: "exists and is not a folder") }
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    public static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// The canonical absolute path (symlinks resolved), or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when `path`, symlinks resolved, is `root` or lies below it (both must exist).
    public static func isInside(_ path: String, root: String) -> Bool {
        guard let real = realPath(path), let realRoot = realPath(root) else { return false }
        return real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/")
    }

    /// `path` made absolute against the current directory (not resolving symlinks).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalise(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "."
        return normalise(cwd + "/" + path)
    }

    /// Removes `.` and `x/..` pairs and doubled slashes, textually.
    package static func normalise(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Names in `folder` with whether each is a folder (from the directory entry itself, no
    /// `stat` per name; symlinks count as files and are never followed).
    package static func listFolderWithKinds(_ folder: String) throws(FileError) -> [(name: String, isFolder: Bool)] {
        guard let dir = opendir(folder) else { throw FileError("list", folder) }
        defer { closedir(dir) }
        var entries: [(name: String, isFolder: Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isFolder = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isFolder = lstat(folder + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            entries.append((name, isFolder))
        }
        return entries
    }

    /// Files in `folder` (not recursive), sorted by name.
    public static func listFolder(_ folder: String) throws(FileError) -> [String] {
        try listFolderWithKinds(folder).map(\.name).sorted()
    }
}


extension FileIO {
    /// `path` relative to `folder` when it lies inside it, else `path` unchanged.
    package static func relative(_ path: String, to folder: String) -> String {
        path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
    }

    /// The last path component.
    package static func lastComponent(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    /// `path` relative to the current directory when it lies below it, for messages.
    public static func relativeDisplay(_ path: String) -> String { relative(path, to: workingFolder) }

    /// The folder the process started in, read once (`relativeDisplay` runs once per task).
    private static let workingFolder = absolute(".")
}
