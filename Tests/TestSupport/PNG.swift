import Foundation

// A PNG reader written for the tests alone, independent of both the fake's encoder (zlib)
// and mediabatch's own format sniffing: it walks the chunks and checks every CRC.

/// One chunk of a PNG: its type and where its data lies in the file.
public struct PNGChunk: Sendable, Equatable {
    public let type: String
    public let dataRange: Range<Int>
    public let crcValid: Bool
}

/// The chunks of a PNG in file order, after the signature; nil if the signature is wrong or
/// the bytes do not split into whole chunks (bytes after `IEND` are walked as chunks too).
public func pngChunks(_ bytes: [UInt8]) -> [PNGChunk]? {
    guard let walked = walkPNG(bytes), walked.end == bytes.count else { return nil }
    return walked.chunks
}

/// The whole chunks from the signature on, and the offset where they end (fewer than 12
/// bytes before the end of `bytes` unless that is `bytes.count`); nil for a wrong signature
/// or a chunk whose declared length runs past the end.
private func walkPNG(_ bytes: [UInt8]) -> (chunks: [PNGChunk], end: Int)? {
    guard bytes.count >= 8, Array(bytes[0..<8]) == pngSignature else { return nil }
    var chunks: [PNGChunk] = []
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = bigEndian32(bytes, at: offset)
        guard length <= bytes.count - offset - 12 else { return nil }
        let crc = UInt32(bigEndian32(bytes, at: offset + 8 + length))
        chunks.append(
            PNGChunk(
                type: String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self),
                dataRange: (offset + 8)..<(offset + 8 + length),
                crcValid: crc == crc32(bytes[(offset + 4)..<(offset + 8 + length)])))
        offset += 12 + length
    }
    return (chunks, offset)
}

/// What a PNG file says about itself, with every chunk CRC checked independently of zlib.
public struct PNGInfo: Sendable {
    public let width: Int
    public let height: Int
    public let bitDepth: Int
    public let colorType: Int
    public let chunkTypes: [String]
    /// Every chunk's CRC matches, and the chunks end exactly where the bytes do.
    public let crcsValid: Bool

    /// `IHDR` first, `IEND` last, every CRC good, nothing after `IEND`: a whole file.
    public var isComplete: Bool { crcsValid && chunkTypes.first == "IHDR" && chunkTypes.last == "IEND" }
}

/// Reads a PNG's header and chunk list; nil if it is not one or a chunk is cut off.
public func parsePNG(_ bytes: [UInt8]) -> PNGInfo? {
    guard bytes.count > 33, let walked = walkPNG(bytes) else { return nil }
    return PNGInfo(
        width: bigEndian32(bytes, at: 16), height: bigEndian32(bytes, at: 20), bitDepth: Int(bytes[24]),
        colorType: Int(bytes[25]), chunkTypes: walked.chunks.map(\.type),
        crcsValid: walked.chunks.allSatisfy(\.crcValid) && walked.end == bytes.count)
}

/// The width and height of the PNG file at `path`, or nil unless it is a complete PNG
/// (`PNGInfo.isComplete`): what the tests call a "valid file" on disk.
public func pngSize(_ path: String) -> (width: Int, height: Int)? {
    guard let data = FileManager.default.contents(atPath: path), let info = parsePNG([UInt8](data)), info.isComplete
    else { return nil }
    return (info.width, info.height)
}

private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

private func bigEndian32(_ bytes: [UInt8], at offset: Int) -> Int {
    bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
}

private let crcTable: [UInt32] = (0..<256).map { index -> UInt32 in
    var value = UInt32(index)
    for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
    return value
}

/// CRC-32 (ISO 3309, as PNG and zlib use it) of `bytes`.
public func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}
