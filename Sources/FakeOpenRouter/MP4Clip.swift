/// A small but valid MP4 for the fake's finished video jobs: `ftyp`, one `mdat` holding a
/// single uncompressed RGB frame (`raw ` sample entry, which ffmpeg decodes as rawvideo), and
/// a `moov` whose `mvhd`, `tkhd` and `mdhd` all carry the requested duration, so ffprobe reads
/// the clip's length and a client can check it reads the same figure from `mvhd`.
enum MP4Clip {
    static let width = 16
    static let height = 16
    /// Movie and media timescale: milliseconds.
    static let timescale = 1000

    /// The clip's bytes; `seed` tints the frame so different jobs give different files.
    /// `quickTime`: the `ftyp` names QuickTime's brand (`qt  `), as a `.mov` from a provider does.
    static func bytes(durationSeconds: Int, seed: UInt64, quickTime: Bool = false) -> [UInt8] {
        let duration = UInt32(max(durationSeconds, 1) * timescale)
        var frame: [UInt8] = []
        frame.reserveCapacity(width * height * 3)
        let tint = (UInt8(truncatingIfNeeded: seed), UInt8(truncatingIfNeeded: seed >> 8), UInt8(truncatingIfNeeded: seed >> 16))
        for y in 0..<height {
            for x in 0..<width {
                frame += [tint.0 &+ UInt8(x * 8), tint.1 &+ UInt8(y * 8), tint.2]
            }
        }
        let ftyp = quickTime
            ? box("ftyp", ascii("qt  ") + u32(0x2005_0300) + ascii("qt  "))
            : box("ftyp", ascii("isom") + u32(512) + ascii("isom") + ascii("iso2") + ascii("mp41"))
        let mdat = box("mdat", frame)
        let chunkOffset = UInt32(ftyp.count + 8)
        return ftyp + mdat + moov(duration: duration, sampleSize: UInt32(frame.count), chunkOffset: chunkOffset)
    }

    private static func moov(duration: UInt32, sampleSize: UInt32, chunkOffset: UInt32) -> [UInt8] {
        let matrix = u32(0x0001_0000) + u32(0) + u32(0) + u32(0) + u32(0x0001_0000) + u32(0) + u32(0) + u32(0) + u32(0x4000_0000)
        let mvhd = fullBox(
            "mvhd",
            u32(0) + u32(0) + u32(UInt32(timescale)) + u32(duration) + u32(0x0001_0000) + u16(0x0100)
                + zeros(10) + matrix + zeros(24) + u32(2))
        let tkhd = fullBox(
            "tkhd",
            u32(0) + u32(0) + u32(1) + zeros(4) + u32(duration) + zeros(8) + u16(0) + u16(0) + u16(0) + zeros(2)
                + matrix + u32(UInt32(width) << 16) + u32(UInt32(height) << 16), flags: 3)
        let mdhd = fullBox("mdhd", u32(0) + u32(0) + u32(UInt32(timescale)) + u32(duration) + u16(0x55C4) + u16(0))
        let hdlr = fullBox("hdlr", u32(0) + ascii("vide") + zeros(12) + ascii("VideoHandler") + [0])
        let vmhd = fullBox("vmhd", u16(0) + zeros(6), flags: 1)
        let dinf = box("dinf", fullBox("dref", u32(1) + fullBox("url ", [], flags: 1)))
        var compressor = [UInt8](repeating: 0, count: 32)
        compressor[0] = 3
        compressor.replaceSubrange(1...3, with: ascii("raw"))
        let sampleEntry = box(
            "raw ",
            zeros(6) + u16(1) + u16(0) + u16(0) + zeros(12) + u16(UInt16(width)) + u16(UInt16(height))
                + u32(0x0048_0000) + u32(0x0048_0000) + u32(0) + u16(1) + compressor + u16(24) + u16(0xFFFF))
        let stsd = fullBox("stsd", u32(1) + sampleEntry)
        let stts = fullBox("stts", u32(1) + u32(1) + u32(duration))
        let stsc = fullBox("stsc", u32(1) + u32(1) + u32(1) + u32(1))
        let stsz = fullBox("stsz", u32(sampleSize) + u32(1))
        let stco = fullBox("stco", u32(1) + u32(chunkOffset))
        let stbl = box("stbl", stsd + stts + stsc + stsz + stco)
        let minf = box("minf", vmhd + dinf + stbl)
        let mdia = box("mdia", mdhd + hdlr + minf)
        let trak = box("trak", tkhd + mdia)
        return box("moov", mvhd + trak)
    }

    private static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        u32(UInt32(payload.count + 8)) + ascii(type) + payload
    }

    private static func fullBox(_ type: String, _ payload: [UInt8], flags: UInt32 = 0) -> [UInt8] {
        box(type, u32(flags & 0x00FF_FFFF) + payload)
    }

    private static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
    private static func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }
    private static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    private static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
