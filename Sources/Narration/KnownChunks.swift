/// Chunks an earlier split of a narration made (and whose audio is kept), which a new split
/// of its edited text should keep where the text is unchanged. The splitter knows nothing
/// of audio or hashes: it asks `contains` about candidate chunk texts, and only about those
/// whose length (in Characters) is one of `lengths`.
public struct KnownChunks: Sendable {
    /// The lengths, in Characters, of the known chunks.
    public let lengths: Set<Int>
    /// Whether a chunk of exactly this text is known.
    public let contains: @Sendable (String) -> Bool

    public init(lengths: Set<Int>, contains: @escaping @Sendable (String) -> Bool) {
        self.lengths = lengths
        self.contains = contains
    }

    /// Nothing known: the plain greedy split.
    public static let none = KnownChunks(lengths: []) { _ in false }
}

extension NarrationSplitter {
    /// Splits `text` as `split(_:maxChars:)` does, but keeps `known` chunks where the text
    /// still holds them, so that editing one paragraph changes only the chunks around it.
    ///
    /// Greedy packing alone is not stable: a paragraph that grows pushes a piece into the
    /// next chunk, which pushes one into the next, to the end of the text, and every chunk
    /// after the edit would be new. Here a run of pieces whose text is a known chunk becomes
    /// that chunk again, and greedy packing stops before any piece where such a run starts,
    /// so the chunks resynchronise right after the edit. With nothing known, or when the
    /// known chunks are greedy chunks of this very text and their texts occur nowhere else
    /// in it, the result is the greedy split itself.
    public static func split(_ text: String, maxChars: Int, keeping known: KnownChunks) -> [String] {
        let chars = Array(text)
        return spans(chars, maxChars: maxChars, keeping: known).map { String(chars[$0]) }
    }

    /// The chunks `split(_:maxChars:keeping:)` makes, as ranges of Character offsets into `chars`.
    public static func spans(_ chars: [Character], maxChars: Int, keeping known: KnownChunks) -> [Range<Int>] {
        let limit = max(1, maxChars)
        var pieces: [Range<Int>] = []
        collect(chars, 0..<chars.count, level: .paragraph, limit: limit, into: &pieces)
        let knownEnds = knownRuns(chars, pieces, limit: limit, known: known)
        var spans: [Range<Int>] = []
        var start = 0
        while start < pieces.count {
            var end = start + 1
            if let knownEnd = knownEnds[start] {
                end = knownEnd
            } else {
                while end < pieces.count, knownEnds[end] == nil, pieces[end].upperBound - pieces[start].lowerBound <= limit { end += 1 }
            }
            spans.append(pieces[start].lowerBound..<pieces[end - 1].upperBound)
            start = end
        }
        return spans
    }

    /// For each piece, the end (exclusive piece index) of the longest run of pieces starting
    /// there whose text is a known chunk; nil where none starts.
    private static func knownRuns(_ chars: [Character], _ pieces: [Range<Int>], limit: Int, known: KnownChunks) -> [Int?] {
        var ends = [Int?](repeating: nil, count: pieces.count)
        guard !known.lengths.isEmpty else { return ends }
        for start in pieces.indices {
            let lower = pieces[start].lowerBound
            var end = start
            while end < pieces.count, pieces[end].upperBound - lower <= limit {
                let upper = pieces[end].upperBound
                end += 1
                if known.lengths.contains(upper - lower), known.contains(String(chars[lower..<upper])) { ends[start] = end }
            }
        }
        return ends
    }
}
