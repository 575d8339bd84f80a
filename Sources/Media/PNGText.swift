/// Writes text into PNG files: an `iTXt` chunk (UTF-8, uncompressed) right after `IHDR`,
/// which is where image viewers and AUTOMATIC1111-style tools look for `parameters`.
public enum PNGText {
    /// The chunk for `keyword` = `text`, with its CRC.
    public static func iTXtChunk(keyword: String, text: String) -> [UInt8] {
        var data = Array(keyword.utf8.prefix(79))
        data += [0, 0, 0, 0, 0]  // keyword end, compression flag, method, empty language, empty translated keyword
        data += text.utf8
        var chunk = bigEndian(UInt32(data.count)) + Array("iTXt".utf8) + data
        chunk += bigEndian(CRC32.checksum(chunk[4...]))
        return chunk
    }

    /// Where a chunk may go in `png`: just after the signature and `IHDR` (33 bytes), or nil
    /// when the bytes do not start that way.
    public static func insertionPoint(_ png: UnsafeRawBufferPointer) -> Int? {
        guard png.count > 33, ImageFormat.sniff(png) == .png,
            png[12] == UInt8(ascii: "I"), png[13] == UInt8(ascii: "H"), png[14] == UInt8(ascii: "D"), png[15] == UInt8(ascii: "R")
        else { return nil }
        return 33
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

/// CRC-32 (ISO 3309, as PNG uses it), table-driven.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
