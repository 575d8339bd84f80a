import Files
import Media
import Support
import Tasks

/// The chunks of one narration, collected as they arrive from workers in any order, after
/// those a run found kept (`ChunkStore`) and put in place at the start. Each chunk bought is
/// kept before it is stored here. The worker that delivers the last chunk gets them all
/// back, in text order, to join — or, when every chunk was kept, the one job the narration
/// then has (`keptComplete`).
package final class NarrationAssembly: Sendable {
    package let task: SpeechTask
    /// The narration's key in the journal (`RequestKey`).
    package let key: String
    /// The text of each chunk, split once when the narration was fed to the run.
    package let chunks: [String]
    /// Each chunk's request hash (`ChunkKey`): its name in the chunk store.
    package let hashes: [String]
    /// The chunks that were not kept: one job each.
    package let missing: [Int]
    /// Where each chunk bought is kept for reruns.
    package let store: ChunkStore
    /// The voice of each chunk (dialogue); the task's own for every chunk otherwise.
    package let voices: [String]

    /// A narration with every chunk synthesized.
    package struct Complete {
        package let parts: [[UInt8]]
        /// PCM: the sample rate and channels each part was answered with (nil for mp3).
        package let formats: [PCMFormat?]
        /// The text of each part (for subtitles).
        package let texts: [String]
        /// The generation id of each chunk bought in this run, in text order.
        package let generationIDs: [String]
        /// The cost lookups of the chunks bought in this run (`--max-cost` only), to settle
        /// before recording. Kept chunks cost nothing again.
        package let costs: [CostTicket]
    }

    private struct State {
        var parts: [[UInt8]?]
        var formats: [PCMFormat?]
        var generationIDs: [String?]
        var costs: [CostTicket] = []
        /// The chunk and generation of each of `costs`.
        var costChunks: [(index: Int, generationID: String?)] = []
        var failed = false
        /// The narration failed before any chunk had audio: its unsent chunks are dropped.
        var abandoned = false
        var delivered = false
    }
    private let state: Locked<State>

    /// `kept` holds the audio of each chunk found kept (nil for the others), in text order.
    /// `keptFormats` their pcm sample rate and channels.
    package init(
        task: SpeechTask, key: String, chunks: [String], hashes: [String], kept: [[UInt8]?], keptFormats: [PCMFormat?]? = nil, store: ChunkStore,
        voices: [String]? = nil
    ) {
        precondition(hashes.count == chunks.count && kept.count == chunks.count, "one hash and one slot per chunk")
        self.task = task
        self.key = key
        self.chunks = chunks
        self.hashes = hashes
        self.store = store
        self.voices = voices ?? Array(repeating: task.voice, count: chunks.count)
        missing = kept.indices.filter { kept[$0] == nil }
        missingSet = Set(missing)
        state = Locked(
            State(parts: kept, formats: keptFormats ?? Array(repeating: nil, count: chunks.count), generationIDs: Array(repeating: nil, count: chunks.count)))
    }

    /// Whether chunk `index` was found kept (so its job sends nothing).
    package func wasKept(_ index: Int) -> Bool { !missingSet.contains(index) }
    /// `missing`, to look up (the job source asks for every job it hands out).
    private let missingSet: Set<Int>

    /// Keeps chunk `index`'s audio in the store (synced and journaled) for reruns.
    package func keep(_ index: Int, audio: [UInt8], generationID: String?, pcm: PCMFormat? = nil) throws(FileError) {
        try store.keep(audio, hash: hashes[index], text: chunks[index], of: task, key: key, index: index, generationID: generationID, pcm: pcm)
    }

    /// Stores chunk `index`; returns the whole narration when this completed it.
    package func store(_ index: Int, audio: [UInt8], generationID: String?, cost: CostTicket?, pcm: PCMFormat? = nil) -> Complete? {
        state.withLock { state in
            state.parts[index] = audio
            state.formats[index] = pcm
            state.generationIDs[index] = generationID
            if let cost {
                state.costs.append(cost)
                state.costChunks.append((index, generationID))
            }
            return deliver(&state)
        }
    }

    /// The whole narration, when every chunk was kept: for the one job such a narration has.
    package func keptComplete() -> Complete? {
        state.withLock { deliver(&$0) }
    }

    /// The whole narration, once: when every chunk is there and none failed.
    private func deliver(_ state: inout State) -> Complete? {
        guard !state.failed, !state.delivered, state.parts.allSatisfy({ $0 != nil }) else { return nil }
        state.delivered = true
        return Complete(parts: state.parts.map { $0! }, formats: state.formats, texts: chunks, generationIDs: state.generationIDs.compactMap { $0 }, costs: state.costs)
    }

    /// Marks the narration failed; true for the first failure only (which records it).
    /// When no chunk has audio yet, the failure is likely common to every chunk (a voice or
    /// model refused), and the narration's unsent chunks are dropped (`isAbandoned`).
    /// Otherwise they are still bought and kept: after the failed chunk is fixed, the
    /// rerun pays for that chunk alone.
    package func fail() -> Bool {
        state.withLock { state in
            guard !state.failed else { return false }
            state.failed = true
            state.abandoned = !state.parts.contains { $0 != nil }
            return true
        }
    }

    /// Once the narration failed: the cost lookups of the chunks it bought and has not
    /// handed out yet, with their generations (each once). They were paid for, and the
    /// narration's record will carry no cost: each is to be counted on its own.
    package func takeCostsOfFailed() -> [(ticket: CostTicket, index: Int, generationID: String?)] {
        state.withLock { state in
            guard state.failed else { return [] }
            defer {
                state.costs = []
                state.costChunks = []
            }
            return zip(state.costs, state.costChunks).map { ($0, $1.index, $1.generationID) }
        }
    }

    /// Whether the narration's unsent chunks, retries included, are to be dropped.
    package var isAbandoned: Bool { state.withLock { $0.abandoned } }
}

/// Which chunk of which narration a job synthesizes.
package struct NarrationPart: Sendable {
    package let index: Int
    package let assembly: NarrationAssembly

    package var text: String { assembly.chunks[index] }
    /// The task as this chunk is sent: in the chunk's voice.
    package var task: SpeechTask { assembly.task.voiced(assembly.voices[index]) }
}
