// MPEG audio frame parsing: headers, surrounding tags, VBR header frames and resync.
//
// Reference: ISO/IEC 11172-3 and 13818-3 frame headers; the Xing/Info layout used by LAME;
// Fraunhofer's VBRI header; ID3v1/ID3v2.4 and APEv2 tag layouts.

/// The MPEG audio version of a frame; it decides the sample-rate and bitrate tables.
public enum MPEGVersion: Sendable, Equatable, CustomStringConvertible {
    case mpeg1, mpeg2, mpeg25

    public var description: String {
        switch self {
        case .mpeg1: "MPEG-1"
        case .mpeg2: "MPEG-2"
        case .mpeg25: "MPEG-2.5"
        }
    }

    /// The two version bits of a header.
    package var bits: UInt32 {
        switch self {
        case .mpeg1: 0b11
        case .mpeg2: 0b10
        case .mpeg25: 0b00
        }
    }
}

/// The MPEG audio layer of a frame; it decides frame length and samples per frame.
public enum MPEGLayer: Int, Sendable, Equatable, CustomStringConvertible {
    case layer1 = 1, layer2 = 2, layer3 = 3

    public var description: String {
        switch self {
        case .layer1: "Layer I"
        case .layer2: "Layer II"
        case .layer3: "Layer III"
        }
    }
}

/// The channel mode of a frame; mono frames have a smaller side-info block than the others.
public enum MP3ChannelMode: UInt32, Sendable, Equatable, CustomStringConvertible {
    case stereo = 0, jointStereo = 1, dualChannel = 2, mono = 3

    public var channelCount: Int { self == .mono ? 1 : 2 }

    public var description: String {
        switch self {
        case .stereo: "stereo"
        case .jointStereo: "joint stereo"
        case .dualChannel: "dual channel"
        case .mono: "mono"
        }
    }
}

/// One decoded 4-byte MPEG audio frame header: everything needed to find the next frame,
/// compare streams for joining, and build a matching Xing/Info frame.
public struct MP3FrameHeader: Sendable, Equatable {
    public let version: MPEGVersion
    public let layer: MPEGLayer
    /// True when a 16-bit CRC follows the header (protection bit = 0).
    public let hasCRC: Bool
    public let bitrateIndex: Int
    /// Bits per second.
    public let bitrate: Int
    public let sampleRateIndex: Int
    /// Samples per second.
    public let sampleRate: Int
    public let padding: Bool
    public let channelMode: MP3ChannelMode
    /// The raw low byte of the header: private bit excluded, mode extension, copyright, original, emphasis.
    package let lowBits: UInt32

    private static let sampleRates: [[Int]] = [
        [44100, 48000, 32000],  // MPEG-1
        [22050, 24000, 16000],  // MPEG-2
        [11025, 12000, 8000],  // MPEG-2.5
    ]
    // Kbps by bitrate index 1...14; index 0 (free format) and 15 (invalid) are rejected.
    private static let mpeg1Bitrates: [[Int]] = [
        [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],  // Layer I
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],  // Layer II
        [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],  // Layer III
    ]
    private static let mpeg2Bitrates: [[Int]] = [
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],  // Layer I
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],  // Layers II and III
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ]

    /// Bits per second for a bitrate index, or nil for free-format/invalid indices.
    public static func bitrate(version: MPEGVersion, layer: MPEGLayer, index: Int) -> Int? {
        guard (1...14).contains(index) else { return nil }
        let table = version == .mpeg1 ? mpeg1Bitrates : mpeg2Bitrates
        return table[layer.rawValue - 1][index] * 1000
    }

    private static func rateRow(_ version: MPEGVersion) -> Int {
        switch version {
        case .mpeg1: 0
        case .mpeg2: 1
        case .mpeg25: 2
        }
    }

    /// Decodes the header stored big-endian in `word`; nil unless it is a valid, fixed-bitrate header.
    public init?(word: UInt32) {
        guard word >> 21 == 0x7FF else { return nil }
        let version: MPEGVersion
        switch (word >> 19) & 3 {
        case 0b11: version = .mpeg1
        case 0b10: version = .mpeg2
        case 0b00: version = .mpeg25
        default: return nil
        }
        let layer: MPEGLayer
        switch (word >> 17) & 3 {
        case 0b01: layer = .layer3
        case 0b10: layer = .layer2
        case 0b11: layer = .layer1
        default: return nil
        }
        let bitrateIndex = Int((word >> 12) & 0xF)
        let rateIndex = Int((word >> 10) & 3)
        guard rateIndex < 3,
            let bitrate = Self.bitrate(version: version, layer: layer, index: bitrateIndex),
            let mode = MP3ChannelMode(rawValue: (word >> 6) & 3)
        else { return nil }
        self.version = version
        self.layer = layer
        self.hasCRC = (word >> 16) & 1 == 0
        self.bitrateIndex = bitrateIndex
        self.bitrate = bitrate
        self.sampleRateIndex = rateIndex
        self.sampleRate = Self.sampleRates[Self.rateRow(version)][rateIndex]
        self.padding = (word >> 9) & 1 == 1
        self.channelMode = mode
        self.lowBits = word & 0x3F
    }

    /// Decodes the header at `offset`, or nil when there is no valid header there.
    public init?(_ bytes: [UInt8], at offset: Int) {
        guard offset >= 0, offset + 4 <= bytes.count, bytes[offset] == 0xFF else { return nil }
        let word = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        self.init(word: word)
    }

    /// Builds a header without CRC or padding (used for the fresh Xing/Info frame).
    package init?(version: MPEGVersion, layer: MPEGLayer, bitrateIndex: Int, sampleRateIndex: Int, channelMode: MP3ChannelMode) {
        let layerBits: UInt32 = 4 - UInt32(layer.rawValue)
        let word: UInt32 = 0xFFE0_0000 | version.bits << 19 | layerBits << 17 | 1 << 16
            | UInt32(bitrateIndex) << 12 | UInt32(sampleRateIndex) << 10 | channelMode.rawValue << 6
        self.init(word: word)
    }

    /// The 32-bit big-endian header word (private bit cleared).
    public var word: UInt32 {
        let layerBits: UInt32 = 4 - UInt32(layer.rawValue)
        return 0xFFE0_0000 | version.bits << 19 | layerBits << 17 | (hasCRC ? 0 : 1) << 16
            | UInt32(bitrateIndex) << 12 | UInt32(sampleRateIndex) << 10 | (padding ? 1 : 0) << 9
            | channelMode.rawValue << 6 | lowBits
    }

    public var channelCount: Int { channelMode.channelCount }

    /// PCM samples (per channel) decoded from one frame.
    public var samplesPerFrame: Int {
        switch layer {
        case .layer1: 384
        case .layer2: 1152
        case .layer3: version == .mpeg1 ? 1152 : 576
        }
    }

    /// Total frame length in bytes, header included.
    public var frameLength: Int {
        let pad = padding ? 1 : 0
        switch layer {
        case .layer1: return (12 * bitrate / sampleRate + pad) * 4
        case .layer2: return 144 * bitrate / sampleRate + pad
        case .layer3: return (version == .mpeg1 ? 144 : 72) * bitrate / sampleRate + pad
        }
    }

    /// Size of the Layer III side-info block (0 for Layers I and II).
    public var sideInfoSize: Int {
        guard layer == .layer3 else { return 0 }
        if version == .mpeg1 { return channelMode == .mono ? 17 : 32 }
        return channelMode == .mono ? 9 : 17
    }

    /// Offset from the frame start where a Xing/Info tag begins: header, CRC, side info.
    public var xingTagOffset: Int { 4 + (hasCRC ? 2 : 0) + sideInfoSize }

    /// Seconds of audio in one frame.
    public var duration: Double { Double(samplesPerFrame) / Double(sampleRate) }

    /// True when two headers can belong to one continuous stream.
    package func isCompatible(with other: MP3FrameHeader) -> Bool {
        version == other.version && layer == other.layer && sampleRate == other.sampleRate
            && channelCount == other.channelCount
    }
}

/// One frame located in a byte buffer.
public struct MP3Frame: Sendable, Equatable {
    /// Byte offset of the frame's header in the scanned buffer.
    public let offset: Int
    public let header: MP3FrameHeader
    public var length: Int { header.frameLength }
    public var range: Range<Int> { offset..<(offset + header.frameLength) }
}

/// The kinds of VBR/info header frame an encoder puts first; they carry no audio worth keeping.
public enum MP3VBRHeaderKind: String, Sendable, Equatable {
    case xing = "Xing", info = "Info", vbri = "VBRI"
}

/// A Xing/Info/VBRI header frame found at the start of a stream, with the counts it declares.
public struct MP3VBRHeader: Sendable, Equatable {
    public let kind: MP3VBRHeaderKind
    public let frame: MP3Frame
    /// Declared number of frames, when present.
    public let frameCount: Int?
    /// Declared number of bytes, when present.
    public let byteCount: Int?
}

/// The result of scanning an MP3 buffer: where the tags end, the VBR header frame, the audio frames.
public struct MP3Scan: Sendable, Equatable {
    /// The byte range left after removing ID3v2 (start), ID3v1 and APEv2 (end) tags.
    public let audioRegion: Range<Int>
    /// The Xing/Info/VBRI frame, if the first frame is one; it is not in `frames`.
    public let vbrHeader: MP3VBRHeader?
    /// Audio frames in order; bytes between them (junk, truncated frames) are not covered.
    public let frames: [MP3Frame]

    /// Seconds of audio: the sum of every audio frame's duration.
    public var duration: Double { frames.reduce(0) { $0 + $1.header.duration } }
}

/// Namespace for locating tags and frames in MP3 byte buffers.
public enum MP3Frames {
    /// Length of the ID3v2 tag starting at `offset` (header, body and optional footer), or nil.
    public static func id3v2Length(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset >= 0, offset + 10 <= bytes.count, bytes[offset] == 0x49, bytes[offset + 1] == 0x44,
            bytes[offset + 2] == 0x33, bytes[offset + 3] != 0xFF, bytes[offset + 4] != 0xFF,
            let size = ID3Tag.syncsafeValue(bytes, at: offset + 6)
        else { return nil }
        let footer = bytes[offset + 5] & 0x10 != 0 ? 10 : 0
        return 10 + size + footer
    }

    /// The byte range left after removing ID3v2 tags at the start and ID3v1, APEv2 and
    /// appended ID3v2 (footer "3DI") tags at the end, in any order.
    public static func audioRegion(_ bytes: [UInt8]) -> Range<Int> {
        var start = 0
        while let length = id3v2Length(bytes, at: start), start + length <= bytes.count {
            start += length
        }
        var end = bytes.count
        var removed = true
        while removed, end > start {
            removed = false
            if end - start >= 128, matches(bytes, at: end - 128, "TAG") {
                end -= 128
                removed = true
            }
            if end - start >= 32, matches(bytes, at: end - 32, "APETAGEX") {
                let size = Int(littleEndian32(bytes, at: end - 20))
                let hasHeader = bytes[end - 9] & 0x80 != 0
                let total = size + (hasHeader ? 32 : 0)
                if size >= 32, total <= end - start {
                    end -= total
                    removed = true
                }
            }
            if end - start >= 10, matches(bytes, at: end - 10, "3DI"),
                let size = ID3Tag.syncsafeValue(bytes, at: end - 4), size + 20 <= end - start
            {
                end -= size + 20
                removed = true
            }
        }
        return start..<end
    }

    /// Finds the audio frames of an MP3 buffer.
    ///
    /// A frame outside the current chain of frames is accepted only if the frame right after it
    /// also has a compatible valid header, or it ends exactly at the end of the audio region;
    /// once in sync, each following frame needs only its own valid, compatible header.
    /// Truncated frames at the end and bytes that fail these checks are skipped.
    /// The first frame is reported as `vbrHeader` when it holds a Xing, Info or VBRI tag.
    public static func scan(_ bytes: [UInt8]) -> MP3Scan {
        let region = audioRegion(bytes)
        let end = region.upperBound
        var frames: [MP3Frame] = []
        var position = region.lowerBound
        var previous: MP3FrameHeader?  // set while in sync
        while position + 4 <= end {
            guard let header = MP3FrameHeader(bytes, at: position), position + header.frameLength <= end else {
                previous = nil
                position += 1
                continue
            }
            let next = position + header.frameLength
            var accepted = false
            if let previous, previous.isCompatible(with: header) {
                accepted = true
            } else if next == end {
                accepted = true
            } else if let following = MP3FrameHeader(bytes, at: next), following.isCompatible(with: header),
                next + following.frameLength <= end
            {
                accepted = true
            }
            if accepted {
                frames.append(MP3Frame(offset: position, header: header))
                previous = header
                position = next
            } else {
                previous = nil
                position += 1
            }
        }
        var vbrHeader: MP3VBRHeader?
        if let first = frames.first, let found = vbrHeaderInfo(bytes, frame: first) {
            vbrHeader = found
            frames.removeFirst()
        }
        return MP3Scan(audioRegion: region, vbrHeader: vbrHeader, frames: frames)
    }

    /// Reads a Xing/Info tag at the side-info offset or a VBRI tag at offset 36 of `frame`.
    public static func vbrHeaderInfo(_ bytes: [UInt8], frame: MP3Frame) -> MP3VBRHeader? {
        guard frame.header.layer == .layer3 else { return nil }
        let end = frame.range.upperBound
        let xing = frame.offset + frame.header.xingTagOffset
        if xing + 8 <= end, matches(bytes, at: xing, "Xing") || matches(bytes, at: xing, "Info") {
            let kind: MP3VBRHeaderKind = bytes[xing] == 0x58 ? .xing : .info
            let flags = bigEndian32(bytes, at: xing + 4)
            var cursor = xing + 8
            var frameCount: Int?
            var byteCount: Int?
            if flags & 1 != 0, cursor + 4 <= end {
                frameCount = Int(bigEndian32(bytes, at: cursor))
                cursor += 4
            }
            if flags & 2 != 0, cursor + 4 <= end {
                byteCount = Int(bigEndian32(bytes, at: cursor))
            }
            return MP3VBRHeader(kind: kind, frame: frame, frameCount: frameCount, byteCount: byteCount)
        }
        let vbri = frame.offset + 36
        if vbri + 18 <= end, matches(bytes, at: vbri, "VBRI") {
            return MP3VBRHeader(
                kind: .vbri, frame: frame,
                frameCount: Int(bigEndian32(bytes, at: vbri + 14)),
                byteCount: Int(bigEndian32(bytes, at: vbri + 10)))
        }
        return nil
    }

    package static func matches(_ bytes: [UInt8], at offset: Int, _ ascii: StaticString) -> Bool {
        let count = ascii.utf8CodeUnitCount
        guard offset >= 0, offset + count <= bytes.count else { return false }
        return ascii.withUTF8Buffer { pattern in
            for index in 0..<count where bytes[offset + index] != pattern[index] { return false }
            return true
        }
    }

    package static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    package static func littleEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
