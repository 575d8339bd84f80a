import Files
import Glibc

/// A file name pattern such as `incoming/*.jpg` (`*`, `?` and `[...]` in the last component
/// only), matched against the files of one folder under the manifest's folder, in name
/// order. A name starting with `.` is matched only by a pattern that starts with `.`;
/// folders are never matched.
package enum Glob {
    /// True when `name` holds a wildcard character.
    package static func isPattern(_ name: String) -> Bool {
        name.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    /// Why a pattern cannot be matched.
    package struct Problem: Error, Sendable {
        package let message: String
    }

    /// The matching files' names relative to `directory` (as the pattern spells them), in
    /// byte order of the name. Each match must lie within `isAllowed` (symlinks resolved).
    package static func match(_ pattern: String, in directory: String, isAllowed: (String) -> Bool) throws(Problem) -> [String] {
        guard !pattern.hasPrefix("/"), !pattern.contains("\u{0}") else { throw Problem(message: "a pattern is relative to the manifest's folder") }
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let last = parts.last else { throw Problem(message: "an empty pattern matches nothing") }
        let folderParts = parts.dropLast()
        // `..` is allowed: where the folder lands (symlinks resolved) is what is checked.
        guard !folderParts.contains(where: isPattern) else {
            throw Problem(message: "wildcards go in the file name only (\"folder/*.jpg\")")
        }
        let relativeFolder = folderParts.joined(separator: "/")
        let folder = relativeFolder.isEmpty ? directory : directory + "/" + relativeFolder
        guard let realFolder = FileIO.realPath(folder), isAllowed(realFolder + "/") else {
            throw Problem(message: "folder \(relativeFolder.isEmpty ? "." : relativeFolder) not found, or outside the manifest's folder (and the --input-root folders)")
        }
        let entries: [(name: String, isFolder: Bool)]
        do { entries = try FileIO.listFolderWithKinds(realFolder) } catch { throw Problem(message: error.description) }
        var names: [String] = []
        for entry in entries where !entry.isFolder && fnmatch(last, entry.name, FNM_PERIOD) == 0 {
            let real = FileIO.realPath(realFolder + "/" + entry.name)
            guard let real, FileIO.isRegularFile(real) else { continue }
            guard isAllowed(real) else { throw Problem(message: "\(entry.name) is a link to a file outside the manifest's folder") }
            names.append(relativeFolder.isEmpty ? entry.name : relativeFolder + "/" + entry.name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
