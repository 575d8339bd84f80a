/// The image formats OpenRouter's models return, told apart by their magic numbers: a
/// data URL's MIME type is a claim, the bytes are the truth.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, webp, gif

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    public var mimeType: String { "image/\(rawValue)" }

    /// The format a MIME type names (`image/png`, `image/jpg`, ...), or nil.
    public init?(mimeType: String) {
        switch mimeType.lowercased() {
        case "image/png": self = .png
        case "image/jpeg", "image/jpg": self = .jpeg
        case "image/webp": self = .webp
        case "image/gif": self = .gif
        default: return nil
        }
    }

    /// The format of `bytes` by magic number, or nil when they are none of these.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && zip(bytes[offset...], magic).allSatisfy { $0 == $1 }
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        return nil
    }

    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? { bytes.withUnsafeBytes { sniff($0) } }

    /// Pixel width and height read from the header, where the format puts them simply.
    public static func dimensions(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        func be32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
        func be16(_ o: Int) -> Int { Int(bytes[o]) << 8 | Int(bytes[o + 1]) }
        func le16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func le24(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 }
        switch sniff(bytes) {
        case .png:
            guard bytes.count >= 24 else { return nil }
            return (be32(16), be32(20))
        case .gif:
            guard bytes.count >= 10 else { return nil }
            return (le16(6), le16(8))
        case .webp:
            guard bytes.count >= 30 else { return nil }
            switch String(decoding: bytes[12..<16], as: UTF8.self) {
            case "VP8 ": return (le16(26) & 0x3fff, le16(28) & 0x3fff)
            case "VP8L":
                let b = bytes[21...24].map(Int.init)
                return (1 + (b[0] | (b[1] & 0x3f) << 8), 1 + ((b[1] >> 6) | b[2] << 2 | (b[3] & 0x0f) << 10))
            case "VP8X": return (1 + le24(24), 1 + le24(27))
            default: return nil
            }
        case .jpeg:
            var offset = 2
            while offset + 9 < bytes.count {
                guard bytes[offset] == 0xFF else { return nil }
                let marker = bytes[offset + 1]
                if marker == 0xFF { offset += 1; continue }
                let length = be16(offset + 2)
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    return (be16(offset + 7), be16(offset + 5))
                }
                offset += 2 + length
            }
            return nil
        case nil:
            return nil
        }
    }
}
