import Glibc

extension FileIO {
    /// The file's modification time as `seconds.nanoseconds`, or nil.
    public static func modificationStamp(_ path: String) -> String? { sizeAndStamp(path)?.stamp }

    /// Size and modification stamp from one `stat`.
    package static func sizeAndStamp(_ path: String) -> (size: Int, stamp: String)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (Int(info.st_size), "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
    }

    /// Whether `info`'s modification time, written as `sizeAndStamp` writes it, is
    /// `recorded`, without building a string (a rerun compares a hundred thousand).
    package static func stamp(of info: stat, equals recorded: String) -> Bool {
        let text = recorded.utf8
        guard let dot = text.firstIndex(of: UInt8(ascii: ".")) else { return false }
        return decimal(text[..<dot]) == info.st_mtim.tv_sec && decimal(text[text.index(after: dot)...]) == info.st_mtim.tv_nsec
    }

    private static func decimal(_ digits: Substring.UTF8View) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }
}

extension FileIO {
    /// Removes named temp files (`.<name>.mbtmp-<pid>`) left below `folder` by a process
    /// that no longer runs. Unnamed `O_TMPFILE` files never need this: the kernel drops them.
    public static func removeStaleTemps(under folder: String) {
        guard let entries = try? listFolderWithKinds(folder) else { return }
        for (name, isFolder) in entries where name != ".mediabatch" {
            let path = folder + "/" + name
            if isFolder {
                removeStaleTemps(under: path)
            } else if name.hasPrefix("."), let marker = name.firstRange(of: tempMarker),
                let pid = Int32(name[marker.upperBound...]), kill(pid, 0) != 0 && errno == ESRCH
            {
                unlink(path)
            }
        }
    }
}
