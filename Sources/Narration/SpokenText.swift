/// A narration's text as it is sent: made for speaking from Markdown (or taken as written),
/// respelled by a lexicon, with the voice of each stretch and where its headings are — what
/// the splitter needs so that chunks never mix voices nor end on a heading.
public struct SpokenText: Sendable, Equatable {
    /// The text sent, all chunks together.
    public let text: String
    /// Consecutive Character ranges of `text` with their voice, covering it; empty when one
    /// voice reads everything.
    public let voiceRuns: [VoiceRange]
    /// Character ranges of `text` that are headings.
    public let headings: [Range<Int>]

    /// A stretch of text in one voice.
    public struct VoiceRange: Sendable, Equatable {
        public let range: Range<Int>
        public let voice: String
    }

    /// How `source` is read.
    public struct Options: Sendable {
        /// Read `source` as Markdown (else as plain text, unchanged but for the lexicon).
        public var markdown: Bool
        /// Markdown code blocks are read rather than skipped.
        public var readCode: Bool
        public var lexicon: Lexicon?
        public var dialogue: DialogueVoices?

        public init(markdown: Bool, readCode: Bool = false, lexicon: Lexicon? = nil, dialogue: DialogueVoices? = nil) {
            self.markdown = markdown
            self.readCode = readCode
            self.lexicon = lexicon
            self.dialogue = dialogue
        }
    }

    /// Markdown to speech, then the dialogue's voices, then the lexicon (so a rule never
    /// hides a speaker's name or a quote mark from the dialogue).
    public init(_ source: String, options: Options) {
        let blocks: [(text: String, heading: Bool)] =
            options.markdown
            ? MarkdownSpeech.blocks(source, readCode: options.readCode).map { ($0.text, $0.headingLevel != nil) }
            : [(source, false)]
        // The pieces first, each with its voice; then the lexicon over all of them at once.
        var pieces: [String] = []
        var voices: [String?] = []
        var headingPieces: [Range<Int>] = []
        let narrator = options.dialogue?.narrator
        for (index, block) in blocks.enumerated() {
            if index > 0 {
                pieces.append("\n\n")
                voices.append(narrator)
            }
            let first = pieces.count
            if let dialogue = options.dialogue, !block.heading {
                for segment in dialogue.segments(of: block.text) {
                    pieces.append(segment.text)
                    voices.append(segment.voice)
                }
            } else {
                pieces.append(block.text)
                voices.append(narrator)
            }
            if block.heading { headingPieces.append(first..<pieces.count) }
        }
        if let lexicon = options.lexicon { pieces = lexicon.apply(to: pieces) }
        var text = ""
        var runs: [VoiceRange] = []
        var starts: [Int] = []
        var offset = 0
        for (piece, voice) in zip(pieces, voices) {
            starts.append(offset)
            let count = piece.count
            text += piece
            if let voice {
                if let last = runs.last, last.voice == voice {
                    runs[runs.count - 1] = VoiceRange(range: last.range.lowerBound..<(offset + count), voice: voice)
                } else {
                    runs.append(VoiceRange(range: offset..<(offset + count), voice: voice))
                }
            }
            offset += count
        }
        starts.append(offset)
        let headings = headingPieces.map { starts[$0.lowerBound]..<starts[$0.upperBound] }
        self.text = text
        voiceRuns = runs.count > 1 ? runs : []
        self.headings = headings
    }
}
