// Changing an mp3's loudness without decoding it: the method of mp3gain.
//
// Every MPEG Layer III granule carries, per channel, an 8-bit `global_gain` in the frame's
// side info; the decoder scales the granule's samples by 2^((global_gain - 210) / 4), so
// one step up or down is 2^(1/4) in amplitude, 1.505 dB. Adding the same number of steps
// to every field changes the level and nothing else: no sample is decoded or re-encoded,
// every frame keeps its size. Reference: ISO/IEC 11172-3 2.4.1.7 and 13818-3 2.4.1.7 (side
// info), mp3gain's `changeGain`.

/// Shifts the `global_gain` fields of MPEG Layer III frames: the lossless gain change
/// narrations are brought to their loudness target with.
public enum MP3GlobalGain {
    /// Decibels one step of `global_gain` changes the level by (20·log10(2^(1/4))).
    public static let decibelsPerStep = 1.505_149_978_319_906

    /// The outcome of a shift: how many fields were clamped at 0 or 255 (the rest moved by
    /// the full number of steps).
    public struct Shift: Sendable, Equatable {
        public let frames: Int
        public let clampedFields: Int
    }

    /// Adds `steps` to every `global_gain` of every Layer III audio frame of `mp3`, in place,
    /// clamped to 0...255; a frame with a CRC gets its CRC recomputed. Tags, the Xing/Info
    /// frame and frames of other layers are left as they are.
    @discardableResult
    public static func shift(_ mp3: inout [UInt8], steps: Int) -> Shift {
        guard steps != 0 else { return Shift(frames: 0, clampedFields: 0) }
        var clamped = 0
        var frames = 0
        for frame in MP3Frames.scan(mp3).frames where frame.header.layer == .layer3 {
            clamped += shift(&mp3, frame: frame, steps: steps)
            frames += 1
        }
        return Shift(frames: frames, clampedFields: clamped)
    }

    /// The `global_gain` values of one frame, granule by granule, channel by channel.
    public static func globalGains(_ mp3: [UInt8], frame: MP3Frame) -> [Int] {
        fieldOffsets(frame.header).map { readBits(mp3, bitOffset: sideInfoStart(frame) * 8 + $0, count: 8) }
    }

    /// Shifts one frame; returns the number of fields clamped.
    private static func shift(_ mp3: inout [UInt8], frame: MP3Frame, steps: Int) -> Int {
        let base = sideInfoStart(frame) * 8
        var clamped = 0
        for offset in fieldOffsets(frame.header) {
            let old = readBits(mp3, bitOffset: base + offset, count: 8)
            let new = min(max(old + steps, 0), 255)
            if new != old + steps { clamped += 1 }
            writeBits(&mp3, bitOffset: base + offset, count: 8, value: new)
        }
        if frame.header.hasCRC { writeCRC(&mp3, frame: frame) }
        return clamped
    }

    private static func sideInfoStart(_ frame: MP3Frame) -> Int {
        frame.offset + 4 + (frame.header.hasCRC ? 2 : 0)
    }

    /// Bit offsets of each `global_gain` within the side info. MPEG-1: main_data_begin (9),
    /// private bits (5 mono, 3 otherwise), scfsi (4 per channel), then two granules of 59
    /// bits per channel. MPEG-2/2.5: main_data_begin (8), private bits (1 mono, 2
    /// otherwise), then one granule of 63 bits per channel. In each granule and channel
    /// block `global_gain` follows part2_3_length (12) and big_values (9).
    private static func fieldOffsets(_ header: MP3FrameHeader) -> [Int] {
        let channels = header.channelCount
        let mono = channels == 1
        let start: Int
        let granules: Int
        let blockBits: Int
        if header.version == .mpeg1 {
            start = 9 + (mono ? 5 : 3) + 4 * channels
            granules = 2
            blockBits = 59
        } else {
            start = 8 + (mono ? 1 : 2)
            granules = 1
            blockBits = 63
        }
        var offsets: [Int] = []
        for granule in 0..<granules {
            for channel in 0..<channels {
                offsets.append(start + (granule * channels + channel) * blockBits + 21)
            }
        }
        return offsets
    }

    private static func readBits(_ bytes: [UInt8], bitOffset: Int, count: Int) -> Int {
        var value = 0
        for bit in bitOffset..<(bitOffset + count) {
            value = value << 1 | Int(bytes[bit >> 3] >> (7 - UInt8(bit & 7)) & 1)
        }
        return value
    }

    private static func writeBits(_ bytes: inout [UInt8], bitOffset: Int, count: Int, value: Int) {
        for index in 0..<count {
            let bit = bitOffset + index
            let mask = UInt8(0x80) >> UInt8(bit & 7)
            if (value >> (count - 1 - index)) & 1 == 1 { bytes[bit >> 3] |= mask } else { bytes[bit >> 3] &= ~mask }
        }
    }

    /// The frame's CRC-16 (polynomial 0x8005, initial 0xFFFF) over the header's last two
    /// bytes and the side info, stored big-endian right after the header.
    private static func writeCRC(_ bytes: inout [UInt8], frame: MP3Frame) {
        var crc: UInt16 = 0xFFFF
        func feed(_ byte: UInt8) {
            for bit in 0..<8 {
                let input = (byte >> (7 - UInt8(bit))) & 1
                let top = UInt8(crc >> 15) & 1
                crc <<= 1
                if input ^ top == 1 { crc ^= 0x8005 }
            }
        }
        feed(bytes[frame.offset + 2])
        feed(bytes[frame.offset + 3])
        let side = frame.offset + 6
        for index in side..<(side + frame.header.sideInfoSize) { feed(bytes[index]) }
        bytes[frame.offset + 4] = UInt8(crc >> 8)
        bytes[frame.offset + 5] = UInt8(crc & 0xFF)
    }
}
