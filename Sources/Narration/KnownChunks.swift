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
    ///
    /// With a `layout`, no chunk crosses the start of one of its `sections` (a change of
    /// voice), and no chunk ends with one of its `headings` while text of the same section
    /// follows: the heading then starts the next chunk (or, when even the heading and the
    /// first piece after it do not fit together, stays whole in a chunk of its own).
    public static func spans(_ chars: [Character], maxChars: Int, keeping known: KnownChunks, layout: SplitLayout = .plain) -> [Range<Int>] {
        let limit = max(1, maxChars)
        var pieces: [Range<Int>] = []
        var sectionStarts = Set<Int>()
        for section in layout.sections(count: chars.count) {
            sectionStarts.insert(pieces.count)
            collect(chars, section, level: .paragraph, limit: limit, into: &pieces)
        }
        let headingEnds = Set(layout.headings.map(\.upperBound))
        let knownEnds = knownRuns(chars, pieces, limit: limit, known: known, sectionStarts: sectionStarts)
        var spans: [Range<Int>] = []
        var start = 0
        while start < pieces.count {
            var end = start + 1
            if let knownEnd = knownEnds[start] {
                end = knownEnd
            } else {
                while end < pieces.count, knownEnds[end] == nil, !sectionStarts.contains(end),
                    pieces[end].upperBound - pieces[start].lowerBound <= limit
                { end += 1 }
                // A heading never ends a chunk that its section continues after.
                while end - 1 > start, end < pieces.count, !sectionStarts.contains(end), headingEnds.contains(pieces[end - 1].upperBound) { end -= 1 }
            }
            spans.append(pieces[start].lowerBound..<pieces[end - 1].upperBound)
            start = end
        }
        return spans
    }

    /// For each piece, the end (exclusive piece index) of the longest run of pieces starting
    /// there whose text is a known chunk; nil where none starts.
    private static func knownRuns(_ chars: [Character], _ pieces: [Range<Int>], limit: Int, known: KnownChunks, sectionStarts: Set<Int>) -> [Int?] {
        var ends = [Int?](repeating: nil, count: pieces.count)
        guard !known.lengths.isEmpty else { return ends }
        for start in pieces.indices {
            let lower = pieces[start].lowerBound
            var end = start
            while end < pieces.count, end == start || !sectionStarts.contains(end), pieces[end].upperBound - lower <= limit {
                let upper = pieces[end].upperBound
                end += 1
                if known.lengths.contains(upper - lower), known.contains(String(chars[lower..<upper])) { ends[start] = end }
            }
        }
        return ends
    }
}

/// What a split must respect besides the size bound: sections that no chunk crosses (the
/// stretches of one voice) and headings that no chunk ends with, as Character ranges.
public struct SplitLayout: Sendable, Equatable {
    /// Consecutive ranges covering the text; empty: the whole text is one section.
    public var sections: [Range<Int>]
    public var headings: [Range<Int>]

    public init(sections: [Range<Int>] = [], headings: [Range<Int>] = []) {
        self.sections = sections
        self.headings = headings
    }

    /// One section, no headings: the plain split.
    public static let plain = SplitLayout()

    func sections(count: Int) -> [Range<Int>] {
        let inside = sections.map { $0.clamped(to: 0..<count) }.filter { !$0.isEmpty }
        return inside.isEmpty ? [0..<count] : inside
    }
}
