/// What a downloaded video is, read from its ISO base media boxes without decoding it: that
/// it starts with an `ftyp` box (an MP4/QuickTime file, not an error page), its brand, and its
/// duration from the movie header (`moov`/`mvhd`: duration over timescale, versions 0 and 1).
/// Reads through a caller's `readAt` (offset, count) so a file of any size is walked box by
/// box, never loaded whole.
public struct MP4Boxes: Sendable, Equatable {
    /// `ftyp`'s major brand ("isom", "mp42", "qt  ", ...).
    public let brand: String
    /// Seconds, from `mvhd`; nil when the file has no movie header (yet).
    public let durationSeconds: Double?

    /// The boxes of a file of `size` bytes; nil when it does not start with `ftyp`.
    public static func read(size: Int, readAt: (Int, Int) -> [UInt8]?) -> MP4Boxes? {
        guard size >= 16, let head = readAt(0, 16), head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8) else { return nil }
        let brand = String(decoding: head[8..<12], as: UTF8.self)
        var duration: Double?
        var offset = 0
        var boxes = 0
        while offset + 8 <= size, boxes < 10_000 {
            boxes += 1
            guard let header = readAt(offset, 16), header.count >= 8 else { break }
            var length = Int(be32(header, 0))
            let type = String(decoding: header[4..<8], as: UTF8.self)
            var payload = offset + 8
            if length == 1 {
                guard header.count >= 16 else { break }
                length = Int(clamping: be64(header, 8))
                payload = offset + 16
            } else if length == 0 {
                length = size - offset
            }
            guard length >= payload - offset, offset + length <= size else { break }
            if type == "moov" {
                duration = movieDuration(from: payload, to: offset + length, readAt: readAt)
                break
            }
            offset += length
        }
        return MP4Boxes(brand: brand, durationSeconds: duration)
    }

    /// `mvhd` among `moov`'s children.
    private static func movieDuration(from start: Int, to end: Int, readAt: (Int, Int) -> [UInt8]?) -> Double? {
        var offset = start
        while offset + 8 <= end {
            guard let header = readAt(offset, 8), header.count == 8 else { return nil }
            let length = Int(be32(header, 0))
            guard length >= 8, offset + length <= end else { return nil }
            if Array(header[4..<8]) == Array("mvhd".utf8) {
                guard let body = readAt(offset + 8, min(length - 8, 40)), body.count >= 20 else { return nil }
                let version = body[0]
                let timescale: UInt64
                let duration: UInt64
                if version == 1 {
                    guard body.count >= 32 else { return nil }
                    timescale = UInt64(be32(body, 20))
                    duration = be64(body, 24)
                } else {
                    timescale = UInt64(be32(body, 12))
                    duration = UInt64(be32(body, 16))
                }
                guard timescale > 0 else { return nil }
                return Double(duration) / Double(timescale)
            }
            offset += length
        }
        return nil
    }

    private static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (UInt32(bytes[at]) << 24) | (UInt32(bytes[at + 1]) << 16) | (UInt32(bytes[at + 2]) << 8) | UInt32(bytes[at + 3])
    }

    private static func be64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (UInt64(be32(bytes, at)) << 32) | UInt64(be32(bytes, at + 4))
    }
}
