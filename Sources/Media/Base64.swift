import Glibc

/// Base64 decoding straight from bytes (never through a Swift `String`): image payloads are
/// megabytes long and arrive inside JSON response bodies, so this is the hot path of every
/// image task. Accepts JSON's `\/` escape (and escaped line breaks) inside the text.
public enum Base64 {
    /// Why some bytes are not base64.
    public struct DecodingError: Error, CustomStringConvertible, Equatable {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid base64 at byte \(offset): \(reason)" }
    }

    private static let invalid: UInt32 = 0x0100_0000

    /// Four lookup tables with the 6-bit value pre-shifted into place, so one quantum
    /// decodes with four loads and three ORs; any invalid character sets bit 24.
    private static let tables: [[UInt32]] = {
        var values = [UInt32](repeating: invalid, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (index, char) in alphabet.enumerated() { values[Int(char)] = UInt32(index) }
        values[Int(UInt8(ascii: "-"))] = 62  // URL-safe alphabet, as some providers send
        values[Int(UInt8(ascii: "_"))] = 63
        return (0..<4).map { position in
            values.map { $0 == invalid ? invalid : $0 << UInt32(18 - 6 * position) }
        }
    }()

    /// Decodes `text` (which may contain JSON escapes `\/`, `\n`, `\r`) into new bytes.
    public static func decode(_ text: UnsafeRawBufferPointer) throws(DecodingError) -> [UInt8] {
        var copy = [UInt8](text)
        let count = try copy.withUnsafeMutableBytes { raw in Result { () throws(DecodingError) in try decodeInPlace(raw) } }.get()
        copy.removeLast(copy.count - count)
        return copy
    }

    public static func decode(_ text: [UInt8]) throws(DecodingError) -> [UInt8] {
        try text.withUnsafeBytes { raw in Result { () throws(DecodingError) in try decode(raw) } }.get()
    }

    /// Decodes `buffer` onto itself and returns the number of decoded bytes, which occupy
    /// the start of `buffer`. Writing never overtakes reading (escapes are squeezed out
    /// first, then every 4 characters become 3 bytes), so a payload inside a response body
    /// decodes without a single extra allocation.
    public static func decodeInPlace(_ buffer: UnsafeMutableRawBufferPointer) throws(DecodingError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        return try decodeInPlace(buffer, movingTo: base)
    }

    /// Like `decodeInPlace(_:)`, but the decoded bytes start at `destination`, which lies at
    /// or before the buffer's start in the same memory (whatever is between is overwritten):
    /// the caller picks where the image should sit, for example block-aligned for direct I/O.
    public static func decodeInPlace(_ buffer: UnsafeMutableRawBufferPointer, movingTo destination: UnsafeMutableRawPointer) throws(DecodingError) -> Int {
        let bytes = buffer.bindMemory(to: UInt8.self)
        guard let base = bytes.baseAddress else { return 0 }
        precondition(UnsafeMutableRawPointer(base) >= destination, "decoding may move bytes backwards only")
        var length = bytes.count
        if let escape = memchr(base, Int32(UInt8(ascii: "\\")), bytes.count) {
            length = try squeezeEscapes(bytes, from: escape.assumingMemoryBound(to: UInt8.self) - base)
        }
        return try decodePlain(UnsafeBufferPointer(start: base, count: length), into: destination.assumingMemoryBound(to: UInt8.self)).get()
    }

    /// Removes JSON escapes in place (`\/` → `/`; escaped line breaks dropped) from index
    /// `start` on; returns the new length. `memchr` finds each backslash and `memmove`
    /// shifts the run before it, so the work is a few library calls per escape.
    private static func squeezeEscapes(_ bytes: UnsafeMutableBufferPointer<UInt8>, from start: Int) throws(DecodingError) -> Int {
        let base = bytes.baseAddress!
        var read = start
        var write = start
        let end = bytes.count
        while read < end {
            let next = memchr(base + read, Int32(UInt8(ascii: "\\")), end - read).map { $0.assumingMemoryBound(to: UInt8.self) - base } ?? end
            if next > read {
                if write != read { memmove(base + write, base + read, next - read) }
                write += next - read
                read = next
            }
            guard read < end else { break }
            guard read + 1 < end else { throw DecodingError(offset: read, reason: "dangling escape") }
            switch base[read + 1] {
            case UInt8(ascii: "/"):
                base[write] = UInt8(ascii: "/")
                write += 1
            case UInt8(ascii: "n"), UInt8(ascii: "r"):
                break
            default:
                throw DecodingError(offset: read, reason: "unexpected JSON escape in base64")
            }
            read += 2
        }
        return write
    }

    /// Decodes unescaped base64 (padding optional).
    /// `output` may be `input`'s own start: each quantum is read before its bytes are written.
    package static func decodePlain(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Result<Int, DecodingError> {
        var length = input.count
        while length > 0, input[length - 1] == UInt8(ascii: "=") { length -= 1 }
        guard input.count - length <= 2, length % 4 != 1 else {
            return .failure(DecodingError(offset: length, reason: "bad length or padding"))
        }
        let fullQuanta = length / 4
        let tail = length % 4
        let outputCount = fullQuanta * 3 + (tail == 0 ? 0 : tail - 1)
        var failure: DecodingError?
        do {
            tables[0].withUnsafeBufferPointer { t0 in
            tables[1].withUnsafeBufferPointer { t1 in
            tables[2].withUnsafeBufferPointer { t2 in
            tables[3].withUnsafeBufferPointer { t3 in
                guard var source = input.baseAddress else { return }
                var target = UnsafeMutableRawPointer(output)
                var remaining = fullQuanta
                // Two quanta per step, their six bytes written with one 8-byte store (the two
                // extra bytes are overwritten by the next step; they never reach unread input,
                // since output trails input by a quarter).
                while remaining >= 3 {
                    let first = t0[Int(source[0])] | t1[Int(source[1])] | t2[Int(source[2])] | t3[Int(source[3])]
                    let second = t0[Int(source[4])] | t1[Int(source[5])] | t2[Int(source[6])] | t3[Int(source[7])]
                    if (first | second) >= invalid { break }
                    let six = UInt64(first) << 40 | UInt64(second) << 16
                    target.storeBytes(of: six.bigEndian, as: UInt64.self)
                    source += 8
                    target += 6
                    remaining -= 2
                }
                for _ in 0..<remaining {
                    let word = t0[Int(source[0])] | t1[Int(source[1])] | t2[Int(source[2])] | t3[Int(source[3])]
                    if word >= invalid {
                        failure = DecodingError(offset: source - input.baseAddress!, reason: "character outside the alphabet")
                        return
                    }
                    target.storeBytes(of: UInt8(truncatingIfNeeded: word >> 16), toByteOffset: 0, as: UInt8.self)
                    target.storeBytes(of: UInt8(truncatingIfNeeded: word >> 8), toByteOffset: 1, as: UInt8.self)
                    target.storeBytes(of: UInt8(truncatingIfNeeded: word), toByteOffset: 2, as: UInt8.self)
                    source += 4
                    target += 3
                }
                if tail > 0 {
                    var word: UInt32 = 0
                    for position in 0..<tail { word |= [t0, t1, t2, t3][position][Int(source[position])] }
                    if word >= invalid {
                        failure = DecodingError(offset: source - input.baseAddress!, reason: "character outside the alphabet")
                        return
                    }
                    target.storeBytes(of: UInt8(truncatingIfNeeded: word >> 16), as: UInt8.self)
                    if tail == 3 { target.storeBytes(of: UInt8(truncatingIfNeeded: word >> 8), toByteOffset: 1, as: UInt8.self) }
                }
            }}}}
        }
        if let failure { return .failure(failure) }
        return .success(outputCount)
    }
}

extension Base64 {
    /// Standard base64 with padding, for reference images sent as data URLs.
    public static func encode(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let count = input.count
        let outputCount = (count + 2) / 3 * 4
        return [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialised in
            alphabet.withUnsafeBufferPointer { table in
                var i = 0
                var o = 0
                while i + 3 <= count {
                    let word = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    out[o] = table[Int(word >> 18)]
                    out[o + 1] = table[Int((word >> 12) & 63)]
                    out[o + 2] = table[Int((word >> 6) & 63)]
                    out[o + 3] = table[Int(word & 63)]
                    i += 3
                    o += 4
                }
                let rest = count - i
                if rest > 0 {
                    let word = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                    out[o] = table[Int(word >> 18)]
                    out[o + 1] = table[Int((word >> 12) & 63)]
                    out[o + 2] = rest == 2 ? table[Int((word >> 6) & 63)] : UInt8(ascii: "=")
                    out[o + 3] = UInt8(ascii: "=")
                }
            }
            initialised = outputCount
        }
    }

    public static func encode(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { encode($0) } }
}
