import Dispatch
import Synchronization

/// A few serial queues that write finished responses to disk, so network workers never
/// wait on the file system and only a few threads contend for an output folder's lock.
final class WriterLanes: Sendable {
    private let queues: [DispatchQueue]
    private let group = DispatchGroup()
    private let next = Atomic<Int>(0)

    init(count: Int) {
        queues = (0..<max(count, 1)).map { DispatchQueue(label: "mediabatch.writer.\($0)") }
    }

    /// Runs `work(value)` on the next lane, round robin.
    func submit<Value>(_ value: UncheckedTransfer<Value>, _ work: @escaping @Sendable (UncheckedTransfer<Value>) -> Void) {
        let index = next.add(1, ordering: .relaxed).oldValue % queues.count
        queues[index].async(group: group) { work(value) }
    }

    /// Waits until every submitted write is done.
    func drain() { group.wait() }
}

/// Moves a non-`Sendable` value from one thread to another. Sound only when the sender
/// gives the value up entirely: here a decoded response whose buffer the worker does not
/// touch again until the writer hands it back through `ResponseBuffer`.
struct UncheckedTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A worker's response buffer, lent to a writer while its images are written and recorded.
final class ResponseBuffer: @unchecked Sendable {
    // @unchecked: `bytes` is used by exactly one thread at a time; the semaphore hands it
    // from the worker to a writer lane and back.
    /// Headroom lets image decoding move a payload back to where it can be written uncopied.
    let bytes = ByteArray(headroom: DirectWriter.blockSize)
    private let available = DispatchSemaphore(value: 1)

    /// Waits until no writer holds the buffer any more.
    func acquire() { available.wait() }

    /// The holder is done with the buffer.
    func releaseToWorker() { available.signal() }
}
