import Foundation

/// A fresh temporary folder per test, removed by the caller's `defer`.
public struct TempFolder: Sendable {
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "mediabatch-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) -> String {
        let file = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }

    /// Every media file below the folder: not hidden (journals, locks and temp files all
    /// are), not a `<file>.json` sidecar, not the `index.html` gallery; relative paths, sorted.
    public func files(under sub: String = "") -> [String] {
        allFiles(under: sub).filter { path in
            !path.split(separator: "/").contains { $0.hasPrefix(".") } && !TempFolder.isSidecar(path) && !path.hasSuffix("index.html")
        }
    }

    /// `name.png.json` and the like: the metadata written beside each media file.
    public static func isSidecar(_ path: String) -> Bool {
        ["png", "jpg", "webp", "gif", "mp3", "wav", "mp4", "mov"].contains { path.hasSuffix(".\($0).json") }
    }

    /// Every regular file below the folder, hidden ones included.
    public func allFiles(under sub: String = "") -> [String] {
        let root = sub.isEmpty ? path : path + "/" + sub
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let item = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue {
                out.append(item)
            }
        }
        return out.sorted()
    }
}

/// Writes bytes to a fresh file in the temporary directory; the caller removes it.
public func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("mediabatch-test-\(UUID().uuidString)\(suffix)")
    try Data(bytes).write(to: url)
    return url
}
