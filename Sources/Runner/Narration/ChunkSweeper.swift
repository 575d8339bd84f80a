import Files
import Glibc
import Journal
import OpenRouter
import Tasks

/// What `mediabatch gc` finds in one output folder's chunk store (`.mediabatch/chunks/`):
/// the files no current task needs, and what stays.
public struct ChunkSweep: Sendable {
    /// One file of the chunk store.
    public struct File: Sendable, Equatable {
        public let path: String
        public let size: Int
    }

    public let folder: String
    /// Kept chunks no current narration needs, and anything else in the folder that is not
    /// a chunk (a temp file a crash left behind).
    public let unreferenced: [File]
    /// The chunks that stay.
    public let kept: [File]

    public var unreferencedBytes: Int { unreferenced.reduce(0) { $0 + $1.size } }
    public var keptBytes: Int { kept.reduce(0) { $0 + $1.size } }

    /// Removes the unreferenced files (one already gone is no error). Their journal records
    /// stay: a chunk whose file is missing is simply bought again when a narration needs it.
    public func remove() throws(FileError) {
        for file in unreferenced where unlink(file.path) != 0 && errno != ENOENT {
            throw FileError("remove", file.path)
        }
    }
}

/// Decides which kept narration chunks are still needed, folder by folder. A narration
/// needs the chunks its next run would use (`ChunkStore.split`), so a finished narration
/// keeps its chunks for later edits. Given an output folder without manifests, a narration needs the chunks its last
/// `narration` record names (its latest version). Everything else in a folder's chunk
/// store is unreferenced. Reads only; used on one thread.
public final class ChunkSweeper {
    private var stores: [String: ChunkStore] = [:]
    private var needed: [String: Set<String>] = [:]

    public init() {}

    /// Marks the chunks `task` needs (narrations only) in its output folder.
    public func need(_ task: MediaTask) throws(FileError) {
        guard case .speech(let speech) = task else { return }
        let folder = speech.output.folder
        let store: ChunkStore
        if let open = stores[folder] {
            store = open
        } else {
            store = try ChunkStore(folder: folder, journal: nil)
            stores[folder] = store
        }
        let key = RequestKey.of(task, referenceStamps: [])
        needed[folder, default: []].formUnion(store.split(speech, key: key, reuse: true).hashes)
    }

    /// Marks, for an output folder given without its manifests, the chunks each narration's
    /// last `narration` record names.
    public func needRecorded(folder: String) throws(FileError) {
        let records = try ChunkRecords(folder: folder)
        needed[folder, default: []].formUnion(records.narrations.values.flatMap(\.hashes))
    }

    /// The files of `folder`'s chunk store, sorted into unreferenced and kept.
    public func sweep(folder: String) throws(FileError) -> ChunkSweep {
        let directory = ChunkStore.directory(folder: folder)
        guard FileIO.isDirectory(directory) else { return ChunkSweep(folder: folder, unreferenced: [], kept: []) }
        let keep = needed[folder] ?? []
        var unreferenced: [ChunkSweep.File] = []
        var kept: [ChunkSweep.File] = []
        for (name, isFolder) in try FileIO.listFolderWithKinds(directory).sorted(by: { $0.name < $1.name }) where !isFolder {
            let path = directory + "/" + name
            var info = stat()
            let file = ChunkSweep.File(path: path, size: lstat(path, &info) == 0 ? Int(info.st_size) : 0)
            if let hash = Self.chunkHash(name), keep.contains(hash) { kept.append(file) } else { unreferenced.append(file) }
        }
        return ChunkSweep(folder: folder, unreferenced: unreferenced, kept: kept)
    }

    /// The hash a chunk file is named by (`<hash>.mp3`, `<hash>.pcm`); nil for other names.
    private static func chunkHash(_ name: String) -> String? {
        for suffix in [".mp3", ".pcm"] where name.hasSuffix(suffix) {
            let hash = name.dropLast(suffix.count)
            if hash.count == 64, hash.allSatisfy(\.isHexDigit) { return String(hash) }
        }
        return nil
    }
}
