import Glibc

/// A growable, malloc-backed byte buffer that is freed in exactly one place, its `deinit`.
/// Response bodies land here straight from libcurl's write callback, and decoders read
/// them through `withUnsafeBytes` without any copy into Swift arrays (payloads are even
/// decoded in place). Not `Sendable`: a
/// body belongs to the worker that received it.
public final class ByteArray {
    private(set) var base: UnsafeMutableRawPointer?
    public private(set) var count: Int = 0
    private(set) var capacity: Int = 0

    public init(capacity: Int = 0) {
        if capacity > 0 { reserve(capacity) }
    }

    public convenience init(_ bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        bytes.withUnsafeBytes { append($0) }
    }

    deinit { free(base) }

    /// Makes room for at least `total` bytes without changing the content.
    public func reserve(_ total: Int) {
        guard total > capacity else { return }
        guard let grown = realloc(base, total) else { fatalError("out of memory growing a buffer to \(total) bytes") }
        base = grown
        capacity = total
    }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if count + bytes.count > capacity { reserve(max(count + bytes.count, capacity * 2, 16 << 10)) }
        memcpy(base! + count, source, bytes.count)
        count += bytes.count
    }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    public func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Forgets the content but keeps the memory, for the next response on the same connection.
    public func removeAll() { count = 0 }

    public var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
