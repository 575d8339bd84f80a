import Glibc

/// Cuts long string values (base64 image payloads) out of a raw JSON body so that jansson,
/// which lexes strings at about 60 MB/s, only ever sees the small envelope.
///
/// The scan is a real JSON string tokenizer (it honours escapes), driven by `memchr`, so it
/// costs almost nothing per byte. Each cut string is replaced in the envelope by a
/// placeholder string `"\u0000payload:<n>"`; `ranges[n]` locates the original string's
/// content (between its quotes, still escaped) in the body.
public struct LongStringCutter {
    /// Strings at least this long are cut; shorter ones stay for jansson.
    public static let defaultThreshold = 4096

    public struct Result {
        public var envelope: [UInt8]
        public var ranges: [Range<Int>]
    }

    /// The placeholder that stands for cut string `index`, as jansson will return it.
    public static func placeholder(_ index: Int) -> String { "\u{0}payload:\(index)" }

    /// Index of the cut string a placeholder stands for, or nil for an ordinary string.
    public static func payloadIndex(_ value: String) -> Int? {
        guard value.utf8.first == 0, value.hasPrefix("\u{0}payload:") else { return nil }
        return Int(value.dropFirst("\u{0}payload:".count))
    }

    /// Scans `body`; nil when a string is unterminated (a truncated body).
    public static func cut(_ body: UnsafeRawBufferPointer, threshold: Int = defaultThreshold) -> Result? {
        guard let base = body.baseAddress, body.count > 0 else { return Result(envelope: [], ranges: []) }
        var envelope: [UInt8] = []
        var ranges: [Range<Int>] = []
        var copiedUpTo = 0
        var position = 0
        let end = body.count
        while position < end {
            guard let quote = memchr(base + position, Int32(UInt8(ascii: "\"")), end - position) else { break }
            let open = base.distance(to: UnsafeRawPointer(quote))
            guard let close = closingQuote(base, from: open + 1, end: end) else { return nil }
            if close - open - 1 >= threshold {
                if envelope.isEmpty { envelope.reserveCapacity(min(end, 64 << 10)) }
                envelope.append(contentsOf: UnsafeRawBufferPointer(start: base + copiedUpTo, count: open - copiedUpTo))
                envelope.append(UInt8(ascii: "\""))
                envelope.append(contentsOf: "\\u0000payload:\(ranges.count)".utf8)
                envelope.append(UInt8(ascii: "\""))
                ranges.append((open + 1)..<close)
                copiedUpTo = close + 1
            }
            position = close + 1
        }
        if ranges.isEmpty { return Result(envelope: [UInt8](body), ranges: []) }
        envelope.append(contentsOf: UnsafeRawBufferPointer(start: base + copiedUpTo, count: end - copiedUpTo))
        return Result(envelope: envelope, ranges: ranges)
    }

    /// The index of the quote that ends the string whose content starts at `start`.
    private static func closingQuote(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int? {
        var position = start
        while position < end {
            guard let quote = memchr(base + position, Int32(UInt8(ascii: "\"")), end - position) else { return nil }
            let index = base.distance(to: UnsafeRawPointer(quote))
            var backslashes = 0
            while index - backslashes - 1 >= start,
                base.load(fromByteOffset: index - backslashes - 1, as: UInt8.self) == UInt8(ascii: "\\")
            {
                backslashes += 1
            }
            if backslashes % 2 == 0 { return index }
            position = index + 1
        }
        return nil
    }
}
