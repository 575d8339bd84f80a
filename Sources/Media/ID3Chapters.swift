// ID3v2 chapter frames. Reference: id3.org "ID3v2 Chapter Frame Addendum" version 1.0
// (CHAP and CTOC), used by podcast and audiobook players (Audiobookshelf, VLC, ffmpeg).

/// Builds the CHAP and CTOC frames that mark a joined book's chapters, for `ID3Tag.v24`'s
/// `extraFrames`.
public enum ID3Chapters {
    /// One chapter: where it starts and ends (milliseconds from the start of the audio).
    public struct Mark: Sendable, Equatable {
        public let title: String
        public let startMilliseconds: Int
        public let endMilliseconds: Int

        public init(title: String, startMilliseconds: Int, endMilliseconds: Int) {
            self.title = title
            self.startMilliseconds = startMilliseconds
            self.endMilliseconds = endMilliseconds
        }
    }

    /// A top-level, ordered CTOC (`toc`) listing one CHAP per mark (`ch1`, `ch2`, …), each
    /// with a TIT2 sub-frame holding its title; byte offsets are left unset (0xFFFFFFFF), as
    /// players seek by time.
    public static func frames(_ marks: [Mark]) -> [[UInt8]] {
        precondition(marks.count <= 255, "a CTOC frame counts at most 255 chapters")
        let ids = marks.indices.map { "ch\($0 + 1)" }
        var toc: [UInt8] = Array("toc".utf8) + [0]
        toc += [0x03, UInt8(marks.count)]  // top-level | ordered
        for id in ids { toc += Array(id.utf8) + [0] }
        var frames = [ID3Tag.frame("CTOC", body: toc)]
        for (id, mark) in zip(ids, marks) {
            var body: [UInt8] = Array(id.utf8) + [0]
            body += be32(UInt32(clamping: mark.startMilliseconds)) + be32(UInt32(clamping: mark.endMilliseconds))
            body += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
            body += ID3Tag.frame("TIT2", body: [3] + mark.title.utf8.filter { $0 != 0 })
            frames.append(ID3Tag.frame("CHAP", body: body))
        }
        return frames
    }

    private static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
