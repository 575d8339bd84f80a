import Support
import Tasks

/// The chunks of one narration, collected as they arrive from workers in any order. The
/// worker that delivers the last chunk gets them all back, in text order, to join.
package final class NarrationAssembly: Sendable {
    package let task: SpeechTask
    /// The text of each chunk, split once when the narration was fed to the run.
    package let chunks: [String]

    /// A narration with every chunk synthesized.
    package struct Complete {
        package let parts: [[UInt8]]
        /// The generation id of each chunk that had one, in text order.
        package let generationIDs: [String]
        /// The cost lookups of the chunks (`--max-cost` only), to settle before recording.
        package let costs: [CostTicket]
    }

    private struct State {
        var parts: [[UInt8]?]
        var generationIDs: [String?]
        var costs: [CostTicket] = []
        var failed = false
    }
    private let state: Locked<State>

    package init(task: SpeechTask, chunks: [String]) {
        self.task = task
        self.chunks = chunks
        state = Locked(State(parts: Array(repeating: nil, count: chunks.count), generationIDs: Array(repeating: nil, count: chunks.count)))
    }

    /// Stores chunk `index`; returns the whole narration when this completed it.
    package func store(_ index: Int, audio: [UInt8], generationID: String?, cost: CostTicket?) -> Complete? {
        state.withLock { state in
            state.parts[index] = audio
            state.generationIDs[index] = generationID
            if let cost { state.costs.append(cost) }
            guard !state.failed, state.parts.allSatisfy({ $0 != nil }) else { return nil }
            return Complete(parts: state.parts.map { $0! }, generationIDs: state.generationIDs.compactMap { $0 }, costs: state.costs)
        }
    }

    /// Marks the narration failed; true for the first failure only (which records it).
    package func fail() -> Bool {
        state.withLock { state in
            defer { state.failed = true }
            return !state.failed
        }
    }

    package var hasFailed: Bool { state.withLock { $0.failed } }
}

/// Which chunk of which narration a job synthesizes.
package struct NarrationPart: Sendable {
    package let index: Int
    package let assembly: NarrationAssembly

    package var text: String { assembly.chunks[index] }
}
