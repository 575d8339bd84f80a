// Joins separately synthesized MP3 parts into one stream that players time and play to the end.

/// Why MP3 parts could not be joined or measured; each case names the part and byte offsets.
public enum MP3Error: Error, Equatable, CustomStringConvertible {
    /// `join` was given no parts.
    case noParts
    /// Part `part` holds no valid MPEG audio frame in `searched` (the bytes left after tags).
    case noAudioFrames(part: Int, searched: Range<Int>)
    /// The audio frame at byte `offset` of part `part` differs from part 0's first frame in `field`.
    case formatMismatch(part: Int, offset: Int, field: String, expected: String, found: String)
    /// The joined stream is too large for the 32-bit counts of a Xing/Info header.
    case tooLarge(bytes: Int, frames: Int)

    public var description: String {
        switch self {
        case .noParts:
            return "MP3 join: no parts were given"
        case .noAudioFrames(let part, let searched):
            return "MP3 part \(part): no valid MPEG audio frames between byte \(searched.lowerBound) "
                + "and byte \(searched.upperBound) (after removing ID3/APE tags)"
        case .formatMismatch(let part, let offset, let field, let expected, let found):
            return "MP3 part \(part): \(field) is \(found) (frame at byte \(offset)), "
                + "expected \(expected) like part 0; parts must share version, layer, sample rate and channels"
        case .tooLarge(let bytes, let frames):
            return "MP3 join: \(bytes) bytes in \(frames) frames exceed the 32-bit Xing/Info header counts"
        }
    }
}

/// Joins MP3 parts (one per narration chunk) into one stream with a fresh Xing/Info frame,
/// so the whole narration is timed and played, not just the first part.
public enum MP3Joiner {
    /// Joins `parts` in order.
    ///
    /// Every part loses its ID3v2, ID3v1 and APEv2 tags and its Xing/Info/VBRI frame; the audio
    /// frames are concatenated and one new Xing/Info frame is put in front ("Info" when every
    /// frame has the same bitrate, "Xing" otherwise) with frame count, byte count and a seek
    /// table. Layer I/II streams are concatenated without such a frame. Encoder delay/padding
    /// (LAME gapless info) is not carried over, so each seam keeps the parts' few ms of padding.
    /// - Throws: `MP3Error` when there are no parts, a part has no audio frames, or a part's
    ///   MPEG version, layer, sample rate or channel count differs from part 0.
    public static func join(_ parts: [[UInt8]]) throws -> [UInt8] {
        guard !parts.isEmpty else { throw MP3Error.noParts }
        var reference: MP3FrameHeader?
        var frameSizes: [Int] = []
        var audio: [UInt8] = []
        var constantBitrate = true
        for (index, part) in parts.enumerated() {
            let scan = MP3Frames.scan(part)
            guard let first = scan.frames.first else {
                throw MP3Error.noAudioFrames(part: index, searched: scan.audioRegion)
            }
            if let reference {
                try check(first, against: reference, part: index)
            } else {
                reference = first.header
            }
            audio.reserveCapacity(audio.count + scan.audioRegion.count)
            for frame in scan.frames {
                // Resync guarantees compatibility within a part only frame to frame; hold every frame to part 0.
                if let reference, !frame.header.isCompatible(with: reference) {
                    try check(frame, against: reference, part: index)
                }
                if frame.header.bitrate != reference?.bitrate { constantBitrate = false }
                audio += part[frame.range]
                frameSizes.append(frame.length)
            }
        }
        guard let reference, reference.layer == .layer3 else { return audio }
        let header = try vbrFrame(
            like: reference, frameSizes: frameSizes, audioBytes: audio.count, constantBitrate: constantBitrate)
        let joined = header + audio
        // Audio bytes can happen to spell a trailing tag ("TAG" 128 bytes from the end, an
        // ID3v2 footer "3DI", an APE footer), which readers, ours and ffprobe alike, would cut
        // off. Then 128 zero bytes after the last frame move every such position onto zeros;
        // decoders skip them as they skip any padding.
        if MP3Frames.scan(joined).frames.count != frameSizes.count {
            return joined + [UInt8](repeating: 0, count: 128)
        }
        return joined
    }

    /// Seconds of audio in `mp3`: audio frames × samples per frame ÷ sample rate, not counting
    /// a Xing/Info/VBRI frame.
    /// - Throws: `MP3Error.noAudioFrames` (part 0) when no audio frame is found.
    public static func duration(of mp3: [UInt8]) throws -> Double {
        let scan = MP3Frames.scan(mp3)
        guard !scan.frames.isEmpty else { throw MP3Error.noAudioFrames(part: 0, searched: scan.audioRegion) }
        return scan.duration
    }

    /// Number of audio frames in `mp3`, not counting a Xing/Info/VBRI frame.
    /// - Throws: `MP3Error.noAudioFrames` (part 0) when no audio frame is found.
    public static func frameCount(of mp3: [UInt8]) throws -> Int {
        let scan = MP3Frames.scan(mp3)
        guard !scan.frames.isEmpty else { throw MP3Error.noAudioFrames(part: 0, searched: scan.audioRegion) }
        return scan.frames.count
    }

    private static func check(_ frame: MP3Frame, against reference: MP3FrameHeader, part: Int) throws {
        let header = frame.header
        func mismatch(_ field: String, _ expected: String, _ found: String) -> MP3Error {
            .formatMismatch(part: part, offset: frame.offset, field: field, expected: expected, found: found)
        }
        if header.sampleRate != reference.sampleRate {
            throw mismatch("sample rate", "\(reference.sampleRate) Hz", "\(header.sampleRate) Hz")
        }
        if header.version != reference.version {
            throw mismatch("MPEG version", reference.version.description, header.version.description)
        }
        if header.layer != reference.layer {
            throw mismatch("layer", reference.layer.description, header.layer.description)
        }
        if header.channelCount != reference.channelCount {
            throw mismatch(
                "channel count", "\(reference.channelCount) (\(reference.channelMode))",
                "\(header.channelCount) (\(header.channelMode))")
        }
    }

    /// A silent Layer III frame carrying a Xing/Info tag that describes the audio after it.
    ///
    /// The tag holds id, flags, frame count and byte count, plus a 100-entry seek table for VBR
    /// (CBR seeks linearly without one). The bitrate is the audio's own for CBR when that frame
    /// is big enough for the tag — the file is then truly constant-bitrate — otherwise the
    /// smallest bitrate whose frame holds the tag.
    private static func vbrFrame(
        like reference: MP3FrameHeader, frameSizes: [Int], audioBytes: Int, constantBitrate: Bool
    ) throws -> [UInt8] {
        func header(bitrateIndex: Int) -> MP3FrameHeader? {
            MP3FrameHeader(
                version: reference.version, layer: reference.layer, bitrateIndex: bitrateIndex,
                sampleRateIndex: reference.sampleRateIndex, channelMode: reference.channelMode)
        }
        let tagSize = constantBitrate ? 16 : 116
        var candidates = Array(1...14)
        if constantBitrate { candidates.insert(reference.bitrateIndex, at: 0) }
        guard
            let info = candidates.lazy.compactMap(header(bitrateIndex:))
                .first(where: { $0.frameLength >= $0.xingTagOffset + tagSize })
        else {
            // Every Layer III table's top bitrate gives a frame of at least 960 bytes; unreachable.
            preconditionFailure("no MPEG Layer III bitrate holds a \(tagSize)-byte Xing tag")
        }
        let infoLength = info.frameLength
        let totalBytes = infoLength + audioBytes
        guard totalBytes <= Int(UInt32.max), frameSizes.count <= Int(UInt32.max) else {
            throw MP3Error.tooLarge(bytes: totalBytes, frames: frameSizes.count)
        }
        var frame = [UInt8](repeating: 0, count: infoLength)
        put32(info.word, into: &frame, at: 0)
        var cursor = info.xingTagOffset
        let id: StaticString = constantBitrate ? "Info" : "Xing"
        id.withUTF8Buffer { frame.replaceSubrange(cursor..<(cursor + 4), with: $0) }
        cursor += 4
        put32(constantBitrate ? 0x3 : 0x7, into: &frame, at: cursor)  // frames, bytes (and TOC) present
        put32(UInt32(frameSizes.count), into: &frame, at: cursor + 4)
        put32(UInt32(totalBytes), into: &frame, at: cursor + 8)
        cursor += 12
        guard !constantBitrate else { return frame }
        // TOC[i]: byte position (×256 ÷ total) of the frame at i% of the duration.
        var frameStarts: [Int] = []
        frameStarts.reserveCapacity(frameSizes.count)
        var position = infoLength
        for size in frameSizes {
            frameStarts.append(position)
            position += size
        }
        for percent in 0..<100 {
            let start = frameStarts[percent * frameSizes.count / 100]
            frame[cursor + percent] = UInt8(min(255, start * 256 / totalBytes))
        }
        return frame
    }

    private static func put32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }
}
