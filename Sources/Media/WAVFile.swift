// RIFF/WAVE writing for raw PCM speech, and a small reader used to check what was written.

/// Why a buffer could not be read as a PCM WAV file (carrying the byte offset and what was
/// expected), or why PCM samples cannot be written as one.
public enum WAVError: Error, Equatable, CustomStringConvertible {
    /// The bytes at `offset` are not `expected` (e.g. "RIFF", "WAVE").
    case badMagic(offset: Int, expected: String, found: String)
    /// A chunk header or body at `offset` runs past the end of the buffer.
    case truncated(chunk: String, offset: Int, needed: Int, available: Int)
    /// No chunk with this id was found before the end of the buffer.
    case missingChunk(String)
    /// The fmt chunk at `offset` describes something this reader does not handle.
    case unsupportedFormat(offset: Int, detail: String)
    /// Writing: a sample rate that is not positive, or whose byte rate a WAV header cannot hold.
    case sampleRateOutOfRange(Int)
    /// Writing: a channel count outside 1...64.
    case channelsOutOfRange(Int)
    /// Writing: more sample data than a 4 GiB RIFF file holds.
    case tooLarge(dataBytes: Int)

    public var description: String {
        switch self {
        case .badMagic(let offset, let expected, let found):
            return "WAV: expected \"\(expected)\" at byte \(offset), found \"\(found)\""
        case .truncated(let chunk, let offset, let needed, let available):
            return "WAV: chunk \"\(chunk)\" at byte \(offset) needs \(needed) bytes, only \(available) remain"
        case .missingChunk(let id):
            return "WAV: no \"\(id)\" chunk found"
        case .unsupportedFormat(let offset, let detail):
            return "WAV: unsupported fmt chunk at byte \(offset): \(detail)"
        case .sampleRateOutOfRange(let rate):
            return "WAV: sample rate \(rate) Hz is out of range"
        case .channelsOutOfRange(let channels):
            return "WAV: \(channels) channels, expected 1 to 64"
        case .tooLarge(let bytes):
            return "WAV: \(bytes) bytes of samples exceed the 4 GiB RIFF limit"
        }
    }
}

/// The sample rate and channels of raw 16-bit PCM audio, as an answer's `Content-Type`
/// names them (`audio/pcm;rate=24000;channels=1`): what a WAV header is written from, so
/// that chunks of one narration can be checked to agree before they are joined.
public struct PCMFormat: Sendable, Equatable, CustomStringConvertible {
    public let rate: Int
    public let channels: Int

    public init(rate: Int, channels: Int) {
        self.rate = rate
        self.channels = channels
    }

    /// "24000 Hz mono", "48000 Hz 2 channels".
    public var description: String { "\(rate) Hz " + (channels == 1 ? "mono" : "\(channels) channels") }

    /// Seconds of audio in `bytes` of 16-bit samples.
    public func seconds(of bytes: Int) -> Double { Double(bytes / (2 * max(channels, 1))) / Double(max(rate, 1)) }
}

/// Wraps raw 16-bit little-endian PCM speech (OpenRouter's "pcm" format) in a RIFF/WAVE header
/// so the joined narration is a playable file.
public enum WAVFile {
    /// The fields of a PCM WAV header, as read by `parse`.
    public struct Info: Sendable, Equatable {
        public let formatTag: Int
        public let channels: Int
        public let sampleRate: Int
        public let byteRate: Int
        public let blockAlign: Int
        public let bitsPerSample: Int
        /// The value of the RIFF chunk's size field (file size − 8 for a well-formed file).
        public let riffSize: Int
        /// Byte offset of the first sample.
        public let dataOffset: Int
        public let dataSize: Int

        /// Seconds of audio in the data chunk.
        public var duration: Double { blockAlign > 0 ? Double(dataSize / blockAlign) / Double(sampleRate) : 0 }
    }

    /// A complete WAV file: 44-byte header (RIFF, fmt chunk for 16-bit PCM, data chunk) + samples.
    ///
    /// A trailing partial sample frame (fewer than 2 × `channels` bytes) is dropped, so the data
    /// chunk always holds whole frames and needs no pad byte.
    /// - Throws: `WAVError` when `channels` is outside 1...64, `sampleRate` is not positive or
    ///   its byte rate does not fit the header's 32 bits, or the data exceeds a 4 GiB RIFF file.
    public static func wav(pcm16LE: [UInt8], sampleRate: Int, channels: Int = 1) throws(WAVError) -> [UInt8] {
        let blockAlign = try checkedBlockAlign(channels: channels, sampleRate: sampleRate)
        let dataSize = pcm16LE.count - pcm16LE.count % blockAlign
        guard dataSize <= Int(UInt32.max) - 36 else { throw .tooLarge(dataBytes: dataSize) }
        var out: [UInt8] = []
        out.reserveCapacity(44 + dataSize)
        out += ascii("RIFF") + le32(36 + dataSize) + ascii("WAVE")
        out += ascii("fmt ") + le32(16)
        out += le16(1) + le16(channels) + le32(sampleRate) + le32(sampleRate * blockAlign)
        out += le16(blockAlign) + le16(16)
        out += ascii("data") + le32(dataSize)
        out += pcm16LE[0..<dataSize]
        return out
    }

    /// One WAV file holding the raw 16-bit little-endian PCM `parts` one after another.
    ///
    /// Decision on odd lengths: a part's trailing partial sample frame (an odd byte for mono)
    /// is dropped from that part, not carried into the next one — carrying it would shift every
    /// later sample by a byte and turn the rest of the narration into noise. At most one
    /// sample (~40 µs at 24 kHz) is lost per part.
    /// - Throws: `WAVError`, as `wav(pcm16LE:sampleRate:channels:)` does.
    public static func joinPCM(_ parts: [[UInt8]], sampleRate: Int, channels: Int = 1) throws(WAVError) -> [UInt8] {
        let blockAlign = try checkedBlockAlign(channels: channels, sampleRate: sampleRate)
        let wholeFrames = parts.map { $0.count - $0.count % blockAlign }
        let dataSize = wholeFrames.reduce(0, +)
        guard dataSize <= Int(UInt32.max) - 36 else { throw .tooLarge(dataBytes: dataSize) }
        var pcm: [UInt8] = []
        pcm.reserveCapacity(dataSize)
        for (part, count) in zip(parts, wholeFrames) {
            pcm += part[0..<count]
        }
        return try wav(pcm16LE: pcm, sampleRate: sampleRate, channels: channels)
    }

    /// Bytes per sample frame, once `channels` and `sampleRate` are known to fit the header
    /// (the byte rate, `sampleRate` × frame size, is a 32-bit field).
    private static func checkedBlockAlign(channels: Int, sampleRate: Int) throws(WAVError) -> Int {
        guard (1...64).contains(channels) else { throw .channelsOutOfRange(channels) }
        let blockAlign = 2 * channels
        guard sampleRate > 0, sampleRate <= Int(UInt32.max) / blockAlign else { throw .sampleRateOutOfRange(sampleRate) }
        return blockAlign
    }

    /// Reads the header of a PCM WAV file: RIFF/WAVE magic, then the fmt and data chunks
    /// (other chunks are skipped, honouring the RIFF pad byte after odd-sized chunks).
    /// - Throws: `WAVError` naming the offset and the expectation that failed.
    public static func parse(_ bytes: [UInt8]) throws -> Info {
        try expect(bytes, "RIFF", at: 0)
        guard bytes.count >= 12 else {
            throw WAVError.truncated(chunk: "RIFF", offset: 0, needed: 12, available: bytes.count)
        }
        let riffSize = readLE(bytes, at: 4, count: 4)
        try expect(bytes, "WAVE", at: 8)
        var format: (tag: Int, channels: Int, rate: Int, byteRate: Int, align: Int, bits: Int)?
        var cursor = 12
        while cursor + 8 <= bytes.count {
            let id = String(decoding: bytes[cursor..<(cursor + 4)], as: UTF8.self)
            let size = readLE(bytes, at: cursor + 4, count: 4)
            let body = cursor + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else {
                    throw WAVError.truncated(chunk: id, offset: cursor, needed: 8 + max(size, 16), available: bytes.count - cursor)
                }
                let tag = readLE(bytes, at: body, count: 2)
                let bits = readLE(bytes, at: body + 14, count: 2)
                guard tag == 1 || tag == 0xFFFE else {
                    throw WAVError.unsupportedFormat(offset: cursor, detail: "format tag \(tag), expected 1 (PCM)")
                }
                format = (
                    tag, readLE(bytes, at: body + 2, count: 2), readLE(bytes, at: body + 4, count: 4),
                    readLE(bytes, at: body + 8, count: 4), readLE(bytes, at: body + 12, count: 2), bits
                )
            } else if id == "data" {
                guard let format else { throw WAVError.missingChunk("fmt ") }
                guard body + size <= bytes.count else {
                    throw WAVError.truncated(chunk: id, offset: cursor, needed: 8 + size, available: bytes.count - cursor)
                }
                guard format.rate > 0, format.align > 0 else {
                    throw WAVError.unsupportedFormat(
                        offset: cursor, detail: "sample rate \(format.rate), block align \(format.align)")
                }
                return Info(
                    formatTag: format.tag, channels: format.channels, sampleRate: format.rate,
                    byteRate: format.byteRate, blockAlign: format.align, bitsPerSample: format.bits,
                    riffSize: riffSize, dataOffset: body, dataSize: size)
            }
            cursor = body + size + size % 2
        }
        throw WAVError.missingChunk(format == nil ? "fmt " : "data")
    }

    private static func expect(_ bytes: [UInt8], _ magic: String, at offset: Int) throws {
        let expected = Array(magic.utf8)
        let end = min(bytes.count, offset + expected.count)
        let found = offset < end ? Array(bytes[offset..<end]) : []
        guard found == expected else {
            throw WAVError.badMagic(offset: offset, expected: magic, found: String(decoding: found, as: UTF8.self))
        }
    }

    private static func readLE(_ bytes: [UInt8], at offset: Int, count: Int) -> Int {
        var value = 0
        for index in (0..<count).reversed() { value = value << 8 | Int(bytes[offset + index]) }
        return value
    }

    private static func ascii(_ text: StaticString) -> [UInt8] {
        text.withUTF8Buffer { Array($0) }
    }

    private static func le16(_ value: Int) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)]
    }

    private static func le32(_ value: Int) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24 & 0xFF)]
    }
}
