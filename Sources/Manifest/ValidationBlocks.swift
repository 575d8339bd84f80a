import Dispatch
import Support
import Tasks

/// The entries of a plan, checked and expanded in blocks on two threads of their own and
/// handed back in manifest order (`next`), so that validating a batch of a hundred thousand
/// entries uses both cores while the caller visits the tasks in order. At most a few
/// blocks wait at a time: memory stays flat whatever the batch.
final class ValidationBlocks: Sendable {
    /// Entries per block: large enough that handing blocks over costs nothing, small enough
    /// that the first tasks come at once.
    static let blockSize = 256
    /// Blocks done ahead of the caller, at most.
    static let window = 8
    static let threads = 2

    private struct Block: Sendable {
        let manifest: Int
        let entries: Range<Int>
    }

    private struct State {
        var done: [Int: [BatchPlan.ExpandedEntry]] = [:]
        /// The next block a thread may take, and the next one the caller gets.
        var nextToTake = 0
        var nextToGive = 0
        var stopped = false
    }

    private let plan: BatchPlan
    private let identify: (@Sendable (MediaTask) -> TaskIdentity)?
    private let blocks: [Block]
    private let state = Locked(State())
    /// Signalled whenever a block is done or taken, or the work stops.
    private let changed = DispatchSemaphore(value: 0)
    private let roomForWork: DispatchSemaphore
    private let group = DispatchGroup()

    init(plan: BatchPlan, identify: (@Sendable (MediaTask) -> TaskIdentity)? = nil) {
        self.plan = plan
        self.identify = identify
        var blocks: [Block] = []
        for (index, manifest) in plan.manifests.enumerated() {
            for start in stride(from: 0, to: manifest.entryCount, by: Self.blockSize) {
                blocks.append(Block(manifest: index, entries: start..<min(start + Self.blockSize, manifest.entryCount)))
            }
        }
        self.blocks = blocks
        roomForWork = DispatchSemaphore(value: Self.window)
        for _ in 0..<min(Self.threads, max(blocks.count, 1)) {
            DispatchQueue.global().async(group: group) { [self] in work() }
        }
    }

    /// Takes blocks in order until none are left (or the caller stopped), expanding each
    /// with this thread's own expanders (one per manifest: they keep parsed model names).
    private func work() {
        var expanders: [Int: TaskExpander] = [:]
        while true {
            roomForWork.wait()
            let taken: Int? = state.withLock { state in
                guard !state.stopped, state.nextToTake < blocks.count else { return nil }
                defer { state.nextToTake += 1 }
                return state.nextToTake
            }
            guard let taken else {
                roomForWork.signal()  // let the other thread see the end too
                changed.signal()
                return
            }
            let block = blocks[taken]
            let manifest = plan.manifests[block.manifest]
            let expander = expanders[block.manifest] ?? TaskExpander(header: manifest.header, catalog: plan.catalog, findsWarnings: true)
            expanders[block.manifest] = expander
            let entries = plan.expandBlock(manifest: block.manifest, entries: block.entries, expander: expander, identify: identify)
            state.withLock { $0.done[taken] = entries }
            changed.signal()
        }
    }

    /// The next block's entries in order; nil after the last.
    func next() -> [BatchPlan.ExpandedEntry]? {
        while true {
            let ready: [BatchPlan.ExpandedEntry]?? = state.withLock { state in
                guard state.nextToGive < blocks.count else { return .some(nil) }
                guard let entries = state.done.removeValue(forKey: state.nextToGive) else { return nil }
                state.nextToGive += 1
                return .some(entries)
            }
            switch ready {
            case .some(let entries):
                if entries != nil { roomForWork.signal() }
                return entries
            case .none:
                changed.wait()
            }
        }
    }

    /// Stops the threads (after the block they are on) and waits for them.
    func finish() {
        state.withLock { $0.stopped = true }
        for _ in 0..<Self.threads { roomForWork.signal() }
        group.wait()
    }
}
