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
        /// PCM chunks: the sample rate and channels the answer's `Content-Type` named (nil for
        /// mp3, and for records from before they were recorded).
        public let pcmRate: Int?
        public let pcmChannels: Int?

        public init(hash: String, taskID: String, characters: Int, size: Int, sha256: String, pcmRate: Int? = nil, pcmChannels: Int? = nil) {
            self.hash = hash
            self.taskID = taskID
            self.characters = characters
            self.size = size
            self.sha256 = sha256
            self.pcmRate = pcmRate
            self.pcmChannels = pcmChannels
        }
    }

    /// How one run split a narration, as its `narration` record gives it.
    public struct Split: Sendable, Equatable {
        /// The chunks' request hashes, in text order.
        public let hashes: [String]
        /// The chunks' ranges of Character offsets in the narration's text.
        public let spans: [Range<Int>]
    }

    /// The last `chunk` record of each hash.
    public private(set) var chunks: [String: Chunk] = [:]
    /// The hashes of the chunks each narration task (by id) bought.
    public private(set) var hashesByTask: [String: Set<String>] = [:]
    /// The last split of each narration task (by id), in journal order: its latest version.
    public private(set) var narrations: [String: Split] = [:]
    /// The last split of each narration key.
    public private(set) var splits: [String: Split] = [:]

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
        let chunkPrefix = Array(#"{"event":"chunk""#.utf8)
        let narrationPrefix = Array(#"{"event":"narration""#.utf8)
        // A block at a time, as `JournalIndex` reads the same journal: never whole in memory.
        try FileIO.forEachLine(path) { line in
            let isChunk = line.starts(with: chunkPrefix)
            guard isChunk || line.starts(with: narrationPrefix), let record = try? JSONEncoding.parse(line, source: path) else { return }
            if isChunk {
                if let chunk = Self.chunk(record) { add(chunk) }
            } else if let task = record["task"]?.stringValue, let key = record["key"]?.stringValue, let split = Self.split(record) {
                narrations[task] = split
                splits[key] = split
            }
        }
    }

    private static func chunk(_ record: JSON) -> Chunk? {
        guard let hash = record["hash"]?.stringValue, let task = record["task"]?.stringValue,
            let characters = record["chars"]?.intValue, let size = record["size"]?.intValue, let sha256 = record["sha256"]?.stringValue
        else { return nil }
        return Chunk(
            hash: hash, taskID: task, characters: Int(characters), size: Int(size), sha256: sha256,
            pcmRate: record["rate"]?.intValue.map(Int.init), pcmChannels: record["channels"]?.intValue.map(Int.init))
    }

    private static func split(_ record: JSON) -> Split? {
        guard let hashes = record["chunks"]?.arrayValue?.compactMap(\.stringValue), let spans = record["spans"]?.arrayValue,
            spans.count == hashes.count
        else { return nil }
        var ranges: [Range<Int>] = []
        for span in spans {
            guard let pair = span.arrayValue, pair.count == 2, let start = pair[0].intValue, let count = pair[1].intValue,
                start >= 0, count >= 0
            else { return nil }
            ranges.append(Int(start)..<Int(start + count))
        }
        return Split(hashes: hashes, spans: ranges)
    }

    /// Records a chunk kept during this run (the journal has its record too).
    public mutating func add(_ chunk: Chunk) {
        chunks[chunk.hash] = chunk
        hashesByTask[chunk.taskID, default: []].insert(chunk.hash)
    }
}
