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

    /// Decodes `text` (which may contain JSON escapes `\/`, `\n`, `\r`) into bytes.
    public static func decode(_ text: UnsafeRawBufferPointer) throws(DecodingError) -> [UInt8] {
        let bytes = text.bindMemory(to: UInt8.self)
        guard bytes.firstIndex(of: UInt8(ascii: "\\")) != nil else { return try decodePlain(bytes).get() }
        // Rare path: drop the escapes into a scratch copy, then decode that.
        var plain = [UInt8]()
        plain.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { throw DecodingError(offset: index, reason: "dangling escape") }
                switch bytes[index + 1] {
                case UInt8(ascii: "/"): plain.append(UInt8(ascii: "/"))
                case UInt8(ascii: "n"), UInt8(ascii: "r"): break
                default: throw DecodingError(offset: index, reason: "unexpected JSON escape in base64")
                }
                index += 2
            } else {
                plain.append(byte)
                index += 1
            }
        }
        return try plain.withUnsafeBufferPointer { decodePlain($0) }.get()
    }

    public static func decode(_ text: [UInt8]) throws(DecodingError) -> [UInt8] {
        try text.withUnsafeBytes { raw in Result { () throws(DecodingError) in try decode(raw) } }.get()
    }

    /// Decodes unescaped base64 (padding optional).
    static func decodePlain(_ input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], DecodingError> {
        var length = input.count
        while length > 0, input[length - 1] == UInt8(ascii: "=") { length -= 1 }
        guard input.count - length <= 2, length % 4 != 1 else {
            return .failure(DecodingError(offset: length, reason: "bad length or padding"))
        }
        let fullQuanta = length / 4
        let tail = length % 4
        let outputCount = fullQuanta * 3 + (tail == 0 ? 0 : tail - 1)
        var failure: DecodingError?
        let output = [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialised in
            tables[0].withUnsafeBufferPointer { t0 in
            tables[1].withUnsafeBufferPointer { t1 in
            tables[2].withUnsafeBufferPointer { t2 in
            tables[3].withUnsafeBufferPointer { t3 in
                var source = input.baseAddress!
                var target = out.baseAddress!
                for _ in 0..<fullQuanta {
                    let word = t0[Int(source[0])] | t1[Int(source[1])] | t2[Int(source[2])] | t3[Int(source[3])]
                    if word >= invalid {
                        failure = DecodingError(offset: source - input.baseAddress!, reason: "character outside the alphabet")
                        return
                    }
                    target[0] = UInt8(truncatingIfNeeded: word >> 16)
                    target[1] = UInt8(truncatingIfNeeded: word >> 8)
                    target[2] = UInt8(truncatingIfNeeded: word)
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
                    target[0] = UInt8(truncatingIfNeeded: word >> 16)
                    if tail == 3 { target[1] = UInt8(truncatingIfNeeded: word >> 8) }
                }
            }}}}
            initialised = failure == nil ? outputCount : 0
        }
        if let failure { return .failure(failure) }
        return .success(output)
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
