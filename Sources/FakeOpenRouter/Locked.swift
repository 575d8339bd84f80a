import Foundation

/// A value behind a lock, shared between event loops, the thread pool and test threads.
/// (The package depends on NIOCore/NIOPosix/NIOHTTP1 only, not NIOConcurrencyHelpers, so
/// the fake carries its own box around Foundation's `NSLock`.)
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable, because: `value`, the only mutable state, is read and written
    // only inside `withLock`, while `lock` is held; `lock` is a `let` NSLock (itself
    // Sendable); and `Value` is Sendable, so what a caller takes out may cross threads.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
