
/// The chunks of one narration, collected as they arrive from workers in any order. The
/// worker that delivers the last chunk gets them all back, in text order, to join.
final class NarrationAssembly: Sendable {
    let task: SpeechTask
    let chunks: [String]

    private struct State {
        var parts: [[UInt8]?]
        var cost: Double?
        var generationIDs: [String] = []
        var failed = false
    }
    private let state: Locked<State>

    init(task: SpeechTask, chunks: [String]) {
        self.task = task
        self.chunks = chunks
        state = Locked(State(parts: Array(repeating: nil, count: chunks.count)))
    }

    /// Stores chunk `index`; returns every chunk's audio when this completed the set.
    func store(_ index: Int, audio: [UInt8], cost: Double?, generationID: String?) -> (parts: [[UInt8]], cost: Double?, generationIDs: [String])? {
        state.withLock { state in
            state.parts[index] = audio
            if let cost { state.cost = (state.cost ?? 0) + cost }
            if let generationID { state.generationIDs.append(generationID) }
            guard !state.failed, state.parts.allSatisfy({ $0 != nil }) else { return nil }
            return (state.parts.map { $0! }, state.cost, state.generationIDs)
        }
    }

    /// Marks the narration failed; true for the first failure only (which records it).
    func fail() -> Bool {
        state.withLock { state in
            defer { state.failed = true }
            return !state.failed
        }
    }

    var hasFailed: Bool { state.withLock { $0.failed } }
}

/// Which chunk of which narration a job synthesizes.
struct NarrationPart {
    let index: Int
    let assembly: NarrationAssembly
}
