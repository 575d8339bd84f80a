import Dispatch
import Synchronization

/// A few serial queues that write finished responses to disk, so network workers never
/// wait on the file system and only a few threads contend for an output folder's lock.
package final class WriterLanes: Sendable {
    private let queues: [DispatchQueue]
    private let group = DispatchGroup()
    private let next = Atomic<Int>(0)

    package init(count: Int) {
        queues = (0..<max(count, 1)).map { DispatchQueue(label: "mediabatch.writer.\($0)") }
    }

    /// Runs `work(value)` on the next lane, round robin.
    package func submit<Value>(_ value: UncheckedTransfer<Value>, _ work: @escaping @Sendable (UncheckedTransfer<Value>) -> Void) {
        let index = next.add(1, ordering: .relaxed).oldValue % queues.count
        queues[index].async(group: group) { work(value) }
    }

    /// Waits until every submitted write is done.
    package func drain() { group.wait() }
}

/// Moves a non-`Sendable` value from one thread to another.
package struct UncheckedTransfer<Value>: @unchecked Sendable {
    // @unchecked Sendable, because: the sender gives the value up entirely. Here that is a
    // decoded response whose bytes lie in a buffer lent with it (`BufferLease`): the worker
    // touches neither again until the writer lane releases the lease.
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
