import Files
import Journal
import Media
import Narration
import Support
import Tasks

/// One output folder's kept narration chunks, so that a rerun pays only for chunks that
/// are new or changed: each chunk bought is kept as `<folder>/.mediabatch/chunks/<hash>.mp3`
/// (or `.pcm`), named by its request (`ChunkKey`), and journaled with a `chunk` record
/// (size and SHA-256). A kept chunk serves again only when its file is there with exactly
/// the size and SHA-256 its record gives; a file without a record (a crash between the two)
/// is bought again and replaced.
///
/// Files are staged, synced and only then named (`StagedFile`), so a crash leaves none
/// half-written; the record is synced after the name. Two workers keeping the same chunk
/// (the same text twice in one folder) name it one after the other.
package final class ChunkStore: Sendable {
    package let folder: String
    package let directory: String
    /// Where `chunk` and `narration` records go (the run's journal of the folder); nil for
    /// a store that only reads (`mediabatch gc`).
    private let journal: Journal?
    private let records: Locked<ChunkRecords>
    /// Held while a staged chunk is named; true once the folder is made and checked.
    private let naming = Locked(false)

    package static func directory(folder: String) -> String { folder + "/.mediabatch/chunks" }

    /// Reads the folder's journals for the chunks kept so far.
    package init(folder: String, journal: Journal?) throws(FileError) {
        self.folder = folder
        self.journal = journal
        directory = ChunkStore.directory(folder: folder)
        records = Locked(try ChunkRecords(folder: folder))
    }

    package func path(hash: String, format: SpeechFormat) -> String { "\(directory)/\(hash).\(format.rawValue)" }

    /// The record of every chunk kept in the folder, by hash.
    package var chunks: [String: ChunkRecords.Chunk] { records.withLock { $0.chunks } }

    /// The chunks `task` (by its id) kept before, for splitting its text anew: an edited
    /// narration keeps its old chunks wherever its text did not change.
    package func known(for task: SpeechTask) -> KnownChunks {
        let (hashes, lengths) = records.withLock { records in
            let hashes = records.hashesByTask[task.id] ?? []
            return (hashes, Set(hashes.compactMap { records.chunks[$0]?.characters }))
        }
        let voices = task.allVoices.map(task.voiced)
        return KnownChunks(lengths: lengths) { text in voices.contains { hashes.contains(ChunkKey.of($0, text: text)) } }
    }

    /// The chunks of `task` (narration `key`) as a run splits its text: as the last run of
    /// this very narration did, when a `narration` record says so and its spans still give
    /// the hashes recorded (so a rerun after a crash buys exactly the chunks that split is
    /// missing, and joins the same file); else keeping the task's known chunks, so an edit
    /// changes only the chunks around it. Without `reuse` (`--force`), the plain split.
    package func split(_ task: SpeechTask, key: String, reuse: Bool) -> NarrationChunks {
        let chars = Array(task.text)
        if reuse, let recorded = records.withLock({ $0.splits[key] }), recorded.spans.allSatisfy({ $0.upperBound <= chars.count }) {
            let chunks = NarrationChunks(task, chars: chars, spans: recorded.spans)
            if chunks.hashes == recorded.hashes { return chunks }
        }
        let layout = SplitLayout(sections: task.voiceRuns.map(\.range), headings: task.headings)
        let spans = NarrationSplitter.spans(chars, maxChars: task.maxChars, keeping: reuse ? known(for: task) : .none, layout: layout)
        return NarrationChunks(task, chars: chars, spans: spans)
    }

    /// The kept audio of chunk `hash`: its file, when it has the size and SHA-256 of its record.
    package func audio(hash: String, format: SpeechFormat) -> [UInt8]? {
        guard let record = records.withLock({ $0.chunks[hash] }) else { return nil }
        let path = path(hash: hash, format: format)
        guard FileIO.size(path) == record.size, let bytes = try? FileIO.readAll(path, limit: record.size),
            SHA256.hex(bytes) == record.sha256
        else { return nil }
        return bytes
    }

    /// Keeps chunk `index` of narration `key`: staged and synced, named `<hash>.<ext>`, then
    /// its `chunk` record synced. Returns once the chunk would survive a crash.
    /// The sample rate and channels a kept pcm chunk was answered with (nil for mp3, and for
    /// chunks kept before they were recorded).
    package func pcmFormat(hash: String) -> PCMFormat? {
        guard let record = records.withLock({ $0.chunks[hash] }), let rate = record.pcmRate else { return nil }
        return PCMFormat(rate: rate, channels: record.pcmChannels ?? 1)
    }

    package func keep(
        _ audio: [UInt8], hash: String, text: String, of task: SpeechTask, key: String, index: Int, generationID: String?, pcm: PCMFormat? = nil
    ) throws(FileError) {
        let path = path(hash: hash, format: task.format)
        try prepareDirectory()
        let staged = try audio.withUnsafeBytes { raw in Result { () throws(FileError) in try StagedFile([raw], for: path) } }.get()
        try naming.withLock { _ throws(FileError) in try staged.commit() }
        let chunk = ChunkRecords.Chunk(
            hash: hash, taskID: task.id, characters: text.count, size: audio.count, sha256: SHA256.hex(audio), pcmRate: pcm?.rate,
            pcmChannels: pcm?.channels)
        try journal?.chunk(
            key: key, taskID: task.id, index: index, hash: hash, characters: chunk.characters, size: chunk.size, sha256: chunk.sha256,
            generationID: generationID, pcmRate: pcm?.rate, pcmChannels: pcm?.channels)
        records.withLock { $0.add(chunk) }
    }

    /// Makes the chunks folder once, and refuses one that a symbolic link leads out of the
    /// output folder.
    private func prepareDirectory() throws(FileError) {
        try naming.withLock { ready throws(FileError) in
            guard !ready else { return }
            try FileIO.makeDirectories(directory)
            guard FileIO.isInside(directory, root: folder) else {
                throw FileError("keep chunks in", directory, reason: "it leads outside the output folder \(folder) (a symbolic link?)")
            }
            ready = true
        }
    }

    /// Splits `task` (see `split`), finds its kept chunks (with `reuse`), journals the
    /// chunks it is made of, and returns its assembly, the kept chunks already in place.
    package func assembly(for task: SpeechTask, key: String, reuse: Bool) throws(FileError) -> NarrationAssembly {
        let chunks = split(task, key: key, reuse: reuse)
        var kept: [[UInt8]?] = Array(repeating: nil, count: chunks.texts.count)
        var formats: [PCMFormat?] = Array(repeating: nil, count: chunks.texts.count)
        if reuse {
            for (index, hash) in chunks.hashes.enumerated() {
                kept[index] = audio(hash: hash, format: task.format)
                if task.format == .pcm, kept[index] != nil {
                    // A chunk kept before rates were recorded was checked against the task's.
                    formats[index] = pcmFormat(hash: hash) ?? PCMFormat(rate: task.sampleRate, channels: 1)
                }
            }
        }
        if !chunks.texts.isEmpty { try journal?.narration(key: key, taskID: task.id, chunks: chunks.hashes, spans: chunks.spans) }
        return NarrationAssembly(task: task, key: key, chunks: chunks.texts, hashes: chunks.hashes, kept: kept, keptFormats: formats, store: self, voices: chunks.voices)
    }
}

/// A narration's chunks: their texts, their spans in its text (Character offsets), their
/// voices (each chunk is read by one voice) and their request hashes (`ChunkKey`), in text order.
package struct NarrationChunks {
    package let texts: [String]
    package let spans: [Range<Int>]
    package let voices: [String]
    package let hashes: [String]

    init(_ task: SpeechTask, chars: [Character], spans: [Range<Int>]) {
        self.spans = spans
        texts = spans.map { String(chars[$0]) }
        voices = spans.map { task.voice(at: $0.lowerBound) }
        hashes = zip(texts, voices).map { ChunkKey.of(task.voiced($1), text: $0) }
    }
}

/// The chunk stores of a run, one per output folder, opened when a folder's first
/// narration is fed.
package final class ChunkStores: Sendable {
    private let stores = Locked<[String: ChunkStore]>([:])

    package init() {}

    package func store(folder: String, journal: Journal?) throws(FileError) -> ChunkStore {
        try stores.withLock { stores throws(FileError) in
            if let store = stores[folder] { return store }
            let store = try ChunkStore(folder: folder, journal: journal)
            stores[folder] = store
            return store
        }
    }
}
