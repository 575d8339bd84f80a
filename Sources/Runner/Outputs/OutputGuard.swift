import Files
import Glibc
import JSON
import Journal
import Media
import Support
import Tasks

/// The media files a task may write (its images or its audio file): every name its answer
/// can give them, since the format and, for several images, the count come with the answer.
package struct ExpectedOutputs: Sendable {
    /// The output folder, and the base name with its subfolders, without extension: kept
    /// apart (the task's own strings), joined only when the paths are needed.
    package let folder: String
    package let baseName: String
    package let extensions: [String]
    /// Images asked for in one request: above 1, they are named `<base>-<n>.<ext>`.
    package let count: Int

    private static let imageExtensions = ImageFormat.allCases.map(\.fileExtension)

    /// The output folder, the base name and its subfolders, without extension.
    package var base: String { folder + "/" + baseName }

    package init(_ task: MediaTask) {
        switch task {
        case .image(let image):
            folder = image.output.folder
            baseName = image.output.baseName
            extensions = Self.imageExtensions
            count = max(image.imagesPerRequest, 1)
        case .speech(let speech):
            folder = speech.output.folder
            baseName = speech.output.baseName
            extensions = [speech.format.fileExtension]
            count = 1
        case .video(let video):
            folder = video.output.folder
            baseName = video.output.baseName
            extensions = VideoFile.extensions
            count = 1
        }
    }

    /// Every path the task may write a media file to.
    package var paths: [String] {
        let base = base
        var paths = extensions.map { base + "." + $0 }
        if count > 1 {
            for index in 1...count { paths += extensions.map { "\(base)-\(index).\($0)" } }
        }
        return paths
    }
}

/// Never overwrite a file the run did not write, or one changed since it wrote it (a
/// hand-retouched image): such a task is not sent but kept (`KeptFile`), unless `--force`.
///
/// A file is mediabatch's own when the journal recorded it as it is now (same size, and the
/// same modification time or SHA-256), under any task, or when its sidecar (`<file>.json`,
/// named before the file itself, see `AtomicOutputs`) records its SHA-256. The planner
/// decides from the journal and the folder listing; the feed checks again just before a task
/// is sent, against the stamps the planner saw, so an edit made while a long run goes on is
/// kept too. (A file that appears between that check and the write, seconds later, is not
/// guarded.)
package struct OutputGuard {
    /// Each folder's journal as the planner read it (nil: no journal, or `--force`).
    private let journals: [String: FolderJournal]
    /// Each folder's recorded files, made when first needed (relative path to versions).
    private var recorded: [String: [String: [JournalEntry.File]]] = [:]
    /// Names in each folder, listed when first needed (nil: no such folder).
    private var listings: [String: Set<String>?] = [:]
    /// Whether each output folder is a folder at all, looked at when first needed: in a
    /// folder not made yet (a fresh batch) no file can be in the way, and no path is built.
    private var folderExists: [String: Bool] = [:]

    package init(journals: [String: FolderJournal]) { self.journals = journals }

    /// What is in the way of `task`, and the stamps of the existing files it may replace.
    package mutating func verdict(for task: PlannedTask) -> (kept: [KeptFile], allowed: [String: String]) {
        var kept = (journals[task.folder]?.check.changed[task.key] ?? []).map { KeptFile(path: task.folder + "/" + $0, reason: .changed) }
        var allowed: [String: String] = [:]
        let folderExists: Bool
        if let known = self.folderExists[task.folder] { folderExists = known } else {
            folderExists = FileIO.isDirectory(task.folder)
            self.folderExists[task.folder] = folderExists
        }
        guard folderExists else { return (kept, allowed) }
        for path in task.outputs.paths where exists(path) && !kept.contains(where: { $0.path == path }) {
            let versions = recordedVersions(folder: task.folder)[FileIO.relative(path, to: task.folder)]
            if Self.isOwn(path, versions: versions) {
                allowed[path] = FileIO.stamp(path)
            } else {
                kept.append(KeptFile(path: path, reason: versions == nil ? .foreign : .changed))
            }
        }
        return (kept, allowed)
    }

    /// Just before `task` is sent: a file changed since the planner allowed it, or a new one
    /// not mediabatch's, is in the way.
    package static func recheck(_ task: PlannedTask) -> [KeptFile] {
        task.outputs.paths.compactMap { path -> KeptFile? in
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            if let stamp = task.allowed[path] { return FileIO.stamp(path) == stamp ? nil : KeptFile(path: path, reason: .changed) }
            return isOwn(path, versions: nil) ? nil : KeptFile(path: path, reason: .foreign)
        }
    }

    /// Whether the file at `path` is one mediabatch wrote, unchanged: one of the journal's
    /// `versions` of it, or the file its sidecar describes.
    package static func isOwn(_ path: String, versions: [JournalEntry.File]?) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        var digest: String?
        func sha256() -> String? {
            if digest == nil { digest = (try? FileIO.readAll(path)).map(SHA256.hex) }
            return digest
        }
        for version in versions ?? [] where version.size == Int(info.st_size) {
            if let recorded = version.modified, FileIO.stamp(of: info, equals: recorded) { return true }
            if sha256() == version.sha256 { return true }
        }
        guard let sidecar = try? FileIO.readAll(path + ".json", limit: 1 << 20),
            let recorded = (try? JSONEncoding.parse(sidecar, source: path + ".json"))?["file"]?["sha256"]?.stringValue
        else { return false }
        return sha256() == recorded
    }

    private mutating func exists(_ path: String) -> Bool {
        let folder = FileIO.directory(of: path)
        if listings[folder] == nil {
            listings[folder] = (try? FileIO.listFolder(folder)).map(Set.init) ?? Set<String>?.none
        }
        return listings[folder]??.contains(FileIO.lastComponent(path)) == true
    }

    private mutating func recordedVersions(folder: String) -> [String: [JournalEntry.File]] {
        if let files = recorded[folder] { return files }
        let files = journals[folder]?.index.recordedFiles() ?? [:]
        recorded[folder] = files
        return files
    }
}

/// An output folder's journal as the planner read it, with what its done tasks' files look like.
package struct FolderJournal: Sendable {
    package let index: JournalIndex
    package let check: JournalIndex.FileCheck
}
