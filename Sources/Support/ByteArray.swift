import Glibc

/// A growable, malloc-backed byte buffer that is freed in exactly one place, its `deinit`.
/// Response bodies land here straight from libcurl's write callback, and decoders read
/// them through `withUnsafeBytes` without any copy into Swift arrays (payloads are even
/// decoded in place). Not `Sendable`: a body belongs to the worker that received it.
///
/// A buffer may keep `headroom` bytes before its content, in page-aligned memory: image
/// decoding may move a payload's bytes back into it, to where direct I/O can write them
/// without a copy (see `ImagePlacement`).
public final class ByteArray {
    private var allocation: UnsafeMutableRawPointer?
    /// Bytes reserved before the content.
    public let headroom: Int

    /// The block size of direct I/O (O_DIRECT) on the file systems mediabatch writes to:
    /// memory and file offsets must agree modulo this for a write to skip the page cache.
    public static let directIOAlignment = 4096
    public private(set) var count: Int = 0
    package private(set) var capacity: Int = 0

    public init(capacity: Int = 0, headroom: Int = 0) {
        self.headroom = headroom
        if capacity > 0 || headroom > 0 { reserve(capacity) }
    }

    public convenience init(_ bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        bytes.withUnsafeBytes { append($0) }
    }

    deinit { free(allocation) }

    /// The content's first byte.
    private var base: UnsafeMutableRawPointer? { allocation.map { $0 + headroom } }

    /// Makes room for at least `total` bytes without changing the content.
    public func reserve(_ total: Int) {
        guard total > capacity || allocation == nil else { return }
        if headroom == 0 {
            guard let grown = realloc(allocation, max(total, 1)) else { fatalError("out of memory growing a buffer to \(total) bytes") }
            allocation = grown
        } else {
            // realloc does not keep the page alignment: allocate aligned and copy.
            var grown: UnsafeMutableRawPointer?
            guard posix_memalign(&grown, ByteArray.directIOAlignment, headroom + max(total, 1)) == 0, let grown else {
                fatalError("out of memory growing a buffer to \(total) bytes")
            }
            if let allocation, count > 0 { memcpy(grown + headroom, allocation + headroom, count) }
            free(allocation)
            allocation = grown
        }
        capacity = max(total, 1)
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

    /// `count` bytes from `offset`, which may lie in the headroom (down to `-headroom`).
    package func withUnsafeBytes<R>(from offset: Int, count length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(offset >= -headroom && offset + length <= count, "range outside the buffer")
        return body(UnsafeRawBufferPointer(start: base.map { $0 + offset }, count: length))
    }

    /// Forgets the content but keeps the memory, for the next response on the same connection.
    public func removeAll() { count = 0 }

    public var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
