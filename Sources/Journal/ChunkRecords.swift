import Files
import JSON
import Support

/// What an output folder's journals say about kept narration chunks: the `chunk` records
/// (one per chunk bought and kept, see `Journal.chunk`) and the `narration` records (the
/// chunks each narration was made of, see `Journal.narration`). Every journal of the folder
/// is read, shards included: chunks are kept per folder, whichever shard bought them. Only
/// lines that start as these records are parsed; a line that does not parse is skipped.
public struct ChunkRecords: Sendable {
    /// One kept chunk, as its last `chunk` record describes it.
    public struct Chunk: Sendable, Equatable {
        /// The request hash: the chunk's file name without its extension.
        public let hash: String
        /// The narration that bought it.
        public let taskID: String
        /// The length of its text, in Characters.
        public let characters: Int
        public let size: Int
        public let sha256: String

        public init(hash: String, taskID: String, characters: Int, size: Int, sha256: String) {
            self.hash = hash
            self.taskID = taskID
            self.characters = characters
            self.size = size
            self.sha256 = sha256
        }
    }

    /// The last `chunk` record of each hash.
    public private(set) var chunks: [String: Chunk] = [:]
    /// Each narration task's chunk hashes, in text order, as its last `narration` record
    /// (in journal order) gives them.
    public private(set) var narrations: [String: [String]] = [:]

    public init() {}

    /// Reads every `journal*.jsonl` in `folder/.mediabatch`; a folder without one has none.
    public init(folder: String) throws(FileError) {
        let directory = folder + "/.mediabatch"
        guard FileIO.isDirectory(directory) else { return }
        for name in try FileIO.listFolder(directory) where name.hasPrefix("journal") && name.hasSuffix(".jsonl") {
            try read(directory + "/" + name)
        }
    }

    /// Adds what one journal file says.
    private mutating func read(_ path: String) throws(FileError) {
        let bytes = try FileIO.readAll(path)
        let chunkPrefix = Array(#"{"event":"chunk""#.utf8)
        let narrationPrefix = Array(#"{"event":"narration""#.utf8)
        bytes.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                let end = raw[start...].firstIndex(of: UInt8(ascii: "\n")) ?? raw.count
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                start = end + 1
                let isChunk = line.starts(with: chunkPrefix)
                guard isChunk || line.starts(with: narrationPrefix), let record = try? JSONEncoding.parse(line, source: path) else { continue }
                if isChunk {
                    if let chunk = Self.chunk(record) { chunks[chunk.hash] = chunk }
                } else if let task = record["task"]?.stringValue, let hashes = record["chunks"]?.arrayValue {
                    narrations[task] = hashes.compactMap(\.stringValue)
                }
            }
        }
    }

    private static func chunk(_ record: JSON) -> Chunk? {
        guard let hash = record["hash"]?.stringValue, let task = record["task"]?.stringValue,
            let characters = record["chars"]?.intValue, let size = record["size"]?.intValue, let sha256 = record["sha256"]?.stringValue
        else { return nil }
        return Chunk(hash: hash, taskID: task, characters: Int(characters), size: Int(size), sha256: sha256)
    }

    /// Records a chunk kept during this run (the journal has its record too).
    public mutating func add(_ chunk: Chunk) { chunks[chunk.hash] = chunk }
}
