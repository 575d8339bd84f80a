import Glibc
import JSON

/// Finds what looks like an OpenRouter API key (`sk-or-…`) in parsed manifest values, so a
/// key spelled with JSON escapes (`sk\u002dor-…`) is refused as surely as a plain one.
package enum APIKeyScan {
    package static let message = "holds what looks like an OpenRouter API key; keys belong in OPENROUTER_API_KEY or the config file, never in manifests"

    /// Bytes in the prefix `sk-or-`.
    static let prefixLength = 6

    /// The offset of the first `sk-or-` in `raw`, if any.
    static func offsetOfKey(in raw: UnsafeRawBufferPointer) -> Int? { offset(of: Array("sk-or-".utf8), in: raw) }

    /// The offset of the first `needle` in `raw`, if any.
    static func offset(of needle: [UInt8], in raw: UnsafeRawBufferPointer) -> Int? {
        guard let base = raw.baseAddress, !needle.isEmpty else { return nil }
        var position = 0
        while position + needle.count <= raw.count,
            let hit = memchr(base + position, Int32(needle[0]), raw.count - position - needle.count + 1)
        {
            let offset = base.distance(to: UnsafeRawPointer(hit))
            if raw[offset..<(offset + needle.count)].elementsEqual(needle) { return offset }
            position = offset + 1
        }
        return nil
    }

    /// Line breaks in `bytes`.
    static func newlines(in bytes: Slice<UnsafeRawBufferPointer>) -> Int {
        bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    package static func contains(_ value: JSON) -> Bool {
        switch value {
        case .string(let text): return holdsPrefix(text)
        case .array(let items): return items.contains(where: contains)
        case .object(let object): return object.contains { holdsPrefix($0.key) || contains($0.value) }
        default: return false
        }
    }

    /// Byte search for `sk-or-` (this runs on every string of every manifest).
    private static func holdsPrefix(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count >= 6 else { return false }
        // Native strings are contiguous UTF-8: memmem over their bytes, no copy.
        if let found = utf8.withContiguousStorageIfAvailable(holdsPrefix) { return found }
        var iterator = utf8.makeIterator()
        var window: UInt64 = 0
        let needle: UInt64 = 0x73_6B_2D_6F_72_2D  // "sk-or-"
        while let byte = iterator.next() {
            window = (window << 8 | UInt64(byte)) & 0xFFFF_FFFF_FFFF
            if window == needle { return true }
        }
        return false
    }

    /// `memchr` to each `s`, then a compare of the five bytes after it.
    private static func holdsPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= 6 else { return false }
        var offset = 0
        let last = bytes.count - 6
        while offset <= last, let hit = memchr(base + offset, Int32(UInt8(ascii: "s")), last - offset + 1) {
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if base[at + 1] == UInt8(ascii: "k") && base[at + 2] == UInt8(ascii: "-") && base[at + 3] == UInt8(ascii: "o")
                && base[at + 4] == UInt8(ascii: "r") && base[at + 5] == UInt8(ascii: "-")
            {
                return true
            }
            offset = at + 1
        }
        return false
    }
}
