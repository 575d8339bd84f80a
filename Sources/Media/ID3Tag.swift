// ID3v2.4 tag building, plus the syncsafe integer helpers shared with MP3 tag skipping.
//
// Reference: id3.org "ID3 tag version 2.4.0 - Main Structure" and "- Native Frames".

/// Builds the ID3v2.4 tag placed in front of a joined narration so players show its title,
/// artist, album and comment.
public enum ID3Tag {
    /// An ID3v2.4 tag with UTF-8 (encoding byte 3) TIT2, TPE1, TALB and COMM frames.
    ///
    /// Nil or empty values are left out; NUL characters are removed (ID3v2.4 uses NUL to
    /// separate multiple values). When every value is nil or empty the result is empty:
    /// a tag must hold at least one frame, so no tag is written at all.
    /// COMM uses language "eng" and an empty description. Sizes are syncsafe. `milliseconds`,
    /// the audio's exact length (from its frame count), goes into TLEN. `track` ("3/12")
    /// becomes TRCK; each of `userText` a TXXX frame (description, value), such as
    /// ReplayGain's; `extraFrames` (whole frames, e.g. `chapter`, `tableOfContents`) go last.
    public static func v24(
        title: String?, artist: String?, album: String?, comment: String?, track: String? = nil, milliseconds: Int? = nil,
        userText: [(String, String)] = [], extraFrames: [[UInt8]] = []
    ) -> [UInt8] {
        var frames: [UInt8] = []
        if let text = cleaned(title) { frames += frame("TIT2", body: [3] + text) }
        if let text = cleaned(artist) { frames += frame("TPE1", body: [3] + text) }
        if let text = cleaned(album) { frames += frame("TALB", body: [3] + text) }
        if let text = cleaned(track) { frames += frame("TRCK", body: [3] + text) }
        if let text = cleaned(comment) {
            // Encoding, language, empty description terminated by NUL, then the text.
            frames += frame("COMM", body: [3, 0x65, 0x6E, 0x67, 0] + text)
        }
        if let milliseconds, milliseconds >= 0 { frames += frame("TLEN", body: [3] + Array(String(milliseconds).utf8)) }
        for (description, value) in userText {
            // Encoding, description terminated by NUL, then the value.
            frames += frame("TXXX", body: [3] + (cleaned(description) ?? []) + [0] + (cleaned(value) ?? []))
        }
        for extra in extraFrames { frames += extra }
        guard !frames.isEmpty else { return [] }
        // "ID3", version 4.0, no flags, syncsafe size of everything after the header.
        return [0x49, 0x44, 0x33, 4, 0, 0] + syncsafe(frames.count) + frames
    }

    /// The UTF-8 bytes of a value without NULs, or nil when nothing remains.
    private static func cleaned(_ value: String?) -> [UInt8]? {
        guard let value else { return nil }
        let bytes = value.utf8.filter { $0 != 0 }
        return bytes.isEmpty ? nil : bytes
    }

    /// One ID3v2.4 frame: 4-character id, syncsafe body size, two zero flag bytes, body.
    package static func frame(_ id: String, body: [UInt8]) -> [UInt8] {
        Array(id.utf8) + syncsafe(body.count) + [0, 0] + body
    }

    /// Encodes `value` (< 2^28) as four 7-bit bytes, most significant first.
    public static func syncsafe(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value < 1 << 28, "ID3v2 sizes are limited to 256 MiB")
        return [UInt8(value >> 21 & 0x7F), UInt8(value >> 14 & 0x7F), UInt8(value >> 7 & 0x7F), UInt8(value & 0x7F)]
    }

    /// Decodes the syncsafe integer at `offset`, or nil if a byte has its high bit set or
    /// the buffer is too short.
    public static func syncsafeValue(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[offset..<(offset + 4)] {
            guard byte < 0x80 else { return nil }
            value = value << 7 | Int(byte)
        }
        return value
    }
}
