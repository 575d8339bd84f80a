import Dispatch
import Support
import Synchronization

/// A worker's response buffer. It is reached only through a `BufferLease`, and there is at
/// most one lease at a time: the worker takes one per job, and for images decoded in place
/// the lease travels with them to the writer lane that writes and records them. The worker's
/// next job waits until the lease comes back, so a crash costs at most one unrecorded
/// request per worker, and a stop decided by the writer holds the worker.
package final class ResponseBuffer: @unchecked Sendable {
    // @unchecked Sendable, because: `bytes` is handed out only inside a lease, `available`
    // admits one lease at a time, and a lease is released (giving the buffer back) only by
    // its single holder.
    /// Headroom lets image decoding move a payload back to where it can be written uncopied.
    private let bytes = ByteArray(headroom: ByteArray.directIOAlignment)
    private let available = DispatchSemaphore(value: 1)

    package init() {}

    /// Waits until the previous lease is released, then lends the buffer.
    package func lease() -> BufferLease {
        available.wait()
        return BufferLease(bytes: bytes, returning: available)
    }
}

/// The right to use a worker's response buffer, released exactly once: `release()` a second
/// time traps, and a lease dropped without release traps in debug builds (and gives the
/// buffer back in release builds, so the run cannot hang on it).
package final class BufferLease: @unchecked Sendable {
    // @unchecked Sendable, because: a lease has one holder at a time (the worker, then the
    // writer lane it hands the lease to); `released` is atomic, and the semaphore is Sendable.
    package let bytes: ByteArray
    private let available: DispatchSemaphore
    private let released = Atomic<Bool>(false)

    fileprivate init(bytes: ByteArray, returning available: DispatchSemaphore) {
        self.bytes = bytes
        self.available = available
    }

    /// Gives the buffer back to its worker. The holder must not touch `bytes` afterwards.
    package func release() {
        let wasReleased = released.exchange(true, ordering: .acquiringAndReleasing)
        precondition(!wasReleased, "a response buffer lease was released twice")
        available.signal()
    }

    deinit {
        if !released.load(ordering: .acquiring) {
            assertionFailure("a response buffer lease was dropped without being released")
            available.signal()
        }
    }
}
