#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// State guarded by a pthread mutex.
///
/// It exists instead of the standard library's `Synchronization.Mutex` because, on Linux,
/// `Mutex` locks with raw futex calls that ThreadSanitizer cannot see: every access it
/// guards is then reported as a race, and `scripts/test.sh --sanitize` could not tell real
/// races from those. `pthread_mutex_lock` is intercepted by every sanitizer, so a report
/// under TSan now means a real unguarded access. The calling convention is `Mutex`'s.
public final class Locked<State>: @unchecked Sendable {
    // @unchecked Sendable, because: `state`, the only mutable stored property, is touched
    // only inside `withLock`, between `pthread_mutex_lock` and `pthread_mutex_unlock` of
    // `mutex`, a `let` allocated and initialised in `init` and destroyed only in `deinit`.
    // `State` need not be Sendable (as with `Synchronization.Mutex`): it comes in `sending`,
    // is lent to `body` as `inout sending`, and only `sending` results leave, so the
    // compiler lets no reference into the state escape to another thread unguarded.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    public init(_ initial: sending State) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
        state = initial
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the state.
    public func withLock<Result, E: Error>(
        _ body: (inout sending State) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
