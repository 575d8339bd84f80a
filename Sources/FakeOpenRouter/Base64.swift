/// Standard base64 (RFC 4648, padded) straight into bytes, in the two JSON spellings the fake
/// serves: plain, and with every `/` written as `\/`. Images are encoded once and cached in
/// both forms so that a response only copies bytes.
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ input: [UInt8]) -> [UInt8] {
        let outCount = (input.count + 2) / 3 * 4
        var out = [UInt8](repeating: 0, count: outCount)
        alphabet.withUnsafeBufferPointer { table in
            input.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    var i = 0
                    var o = 0
                    let full = src.count / 3 * 3
                    while i < full {
                        let value = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                        dst[o] = table[Int(value >> 18 & 63)]
                        dst[o + 1] = table[Int(value >> 12 & 63)]
                        dst[o + 2] = table[Int(value >> 6 & 63)]
                        dst[o + 3] = table[Int(value & 63)]
                        i += 3
                        o += 4
                    }
                    let rest = src.count - full
                    if rest > 0 {
                        let b0 = UInt32(src[i])
                        let b1 = rest == 2 ? UInt32(src[i + 1]) : 0
                        let value = b0 << 16 | b1 << 8
                        dst[o] = table[Int(value >> 18 & 63)]
                        dst[o + 1] = table[Int(value >> 12 & 63)]
                        dst[o + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                        dst[o + 3] = UInt8(ascii: "=")
                    }
                }
            }
        }
        return out
    }

    /// The same text with `/` escaped as `\/` (valid JSON string content either way).
    static func escapingSlashes(_ encoded: [UInt8]) -> [UInt8] {
        var slashes = 0
        for byte in encoded where byte == UInt8(ascii: "/") { slashes += 1 }
        if slashes == 0 { return encoded }
        var out = [UInt8]()
        out.reserveCapacity(encoded.count + slashes)
        for byte in encoded {
            if byte == UInt8(ascii: "/") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return out
    }
}
