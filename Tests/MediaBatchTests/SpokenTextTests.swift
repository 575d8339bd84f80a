import Narration
import Testing
import TestSupport

/// A Markdown chapter with every construct the converter reads.
let everyConstructMarkdown = """
    ---
    title: front matter is not said
    ---
    # Chapter Seven

    It was *the worst night* of __her__ life, and ~~nobody~~ everyone knew it.
    She read [the letter](https://example.com/letter "a title") and saw ![a lighthouse](img/light.png) in the margin ![](spacer.gif).
    Her code word was `tide`, see <https://example.org/notes> and <b>bold</b> &amp; <!-- hidden --> done\\!

    ## 8. Morning

    > A quoted line, **strong**.
    > Another line of the quote.

    - first item
    - second item, with a [link][ref]
    1. numbered one
    2) numbered two

    | Name | Age |
    |------|----:|
    | Ann  | 31  |
    | Bob  | 42  |

    ```swift
    let secret = "never said"
    ```

        indented code is not said either

    ***

    Setext Heading
    --------------

    The end.<br/>
    [ref]: https://example.com/ref
    """

@Suite struct SpokenTextTests {
    @Test func markdownBecomesWhatANarratorSays() {
        let blocks = MarkdownSpeech.blocks(everyConstructMarkdown)
        #expect(blocks.map(\.text) == [
            "Chapter Seven.",
            "It was the worst night of her life, and nobody everyone knew it.\nShe read the letter and saw a lighthouse in the margin.\nHer code word was tide, see example.org/notes and bold & done!",
            "8. Morning.",
            "A quoted line, strong.\nAnother line of the quote.",
            "first item.", "second item, with a link.", "numbered one.", "numbered two.",
            "Name, Age.\nAnn, 31.\nBob, 42.",
            "Setext Heading.",
            "The end.",
        ])
        #expect(blocks.map(\.headingLevel) == [1, nil, 2, nil, nil, nil, nil, nil, nil, 2, nil])
        let spoken = MarkdownSpeech.spoken(everyConstructMarkdown)
        for mark in ["#", "*", "_", "`", "[", "]", "(", ")", "|", "<", ">", "---", "~~", "never said", "indented", "front matter", "&amp;"] {
            #expect(!spoken.contains(mark), "\(mark)")
        }
    }

    @Test func nestedListItemsAtAnyDepthLoseTheirMarkers() {
        // Two-space nesting down to a third level, and four-space nesting (issue 17, finding 6).
        let twoSpaces = MarkdownSpeech.blocks("- outer item\n  - nested two-space\n  - another\n    1. deeper\n- back out\n\nAfter the list.")
        #expect(twoSpaces.map(\.text) == ["outer item.", "nested two-space.", "another.", "deeper.", "back out.", "After the list."])
        let fourSpaces = MarkdownSpeech.blocks("* outer item\n    * nested item\n        1. deep numbered\n\nText.\n\n    code after the list")
        #expect(fourSpaces.map(\.text) == ["outer item.", "nested item.", "deep numbered.", "Text."])
    }

    @Test func scriptStyleAndPreBlocksAreNotRead() {
        let markdown = """
            Before.

            <script>alert("x")</script>

            <style type="text/css">
            body { color: red; }
            </style>

            <PRE>
            preformatted lines
            </PRE>

            After.
            """
        #expect(MarkdownSpeech.blocks(markdown).map(\.text) == ["Before.", "After."])
        let withCode = MarkdownSpeech.spoken(markdown, readCode: true)
        #expect(withCode.contains("preformatted lines") && !withCode.contains("alert") && !withCode.contains("color"))
    }

    @Test func footnoteDefinitionsAreReadWithoutTheirLabel() {
        let blocks = MarkdownSpeech.blocks("Term with footnote[^note].\n\n[^note]: The footnote text.\n[^1]: Footnote.\n    Continued footnote line.")
        #expect(blocks.map(\.text) == ["Term with footnote.", "The footnote text.", "Footnote.\nContinued footnote line."])
    }

    @Test func spacesTheWriterPutStayAndTagsThatBreakLinesSeparateWords() {
        #expect(MarkdownSpeech.spoken("A note :smile: here, and x :y: z.") == "A note :smile: here, and x :y: z.")
        #expect(MarkdownSpeech.spoken("Line with<br>break, one<br/>two<BR />three, <p>para</p>end.") == "Line with break, one two three, para end.")
        // Spaces that markup left before punctuation still go; inline tags still join words.
        #expect(MarkdownSpeech.spoken("It ends here <!-- note --> . A [link](x) , un<i>believ</i>able ![](a.png)!") == "It ends here. A link, unbelievable!")
    }

    @Test func codeIsReadOnlyWhenAsked() {
        let spoken = MarkdownSpeech.spoken(everyConstructMarkdown, readCode: true)
        #expect(spoken.contains("let secret = \"never said\""))
        #expect(spoken.contains("indented code is not said either"))
    }

    @Test func headingsAreFoundWithTheirPositions() {
        let headings = MarkdownSpeech.headings(everyConstructMarkdown)
        #expect(headings.map(\.title) == ["Chapter Seven", "8. Morning", "Setext Heading"])
        #expect(headings.map(\.level) == [1, 2, 2])
        #expect(headings.map(\.line) == [4, 10, 33])
        let bytes = Array(everyConstructMarkdown.utf8)
        for heading in headings {
            let line = String(decoding: bytes[heading.utf8Offset...].prefix { $0 != 0x0A }, as: UTF8.self)
            #expect(line.contains(heading.title))
        }
        // A `#` inside a fence is not a heading.
        #expect(MarkdownSpeech.headings("```\n# not a heading\n```\n\n# Real\n").map(\.title) == ["Real"])
    }

    @Test func aMegabyteOfMarkdownConvertsLinearly() {
        let big = String(repeating: everyConstructMarkdown + "\n\n", count: 1_000_000 / everyConstructMarkdown.utf8.count + 1)
        let spoken = MarkdownSpeech.spoken(big)
        #expect(spoken.count > 300_000)
        #expect(!spoken.contains("**"))
    }

    @Test func lexiconRulesRespellWholeWordsCaseAndPatterns() throws {
        let lexicon = try Lexicon(parsing: """
            # names
            Nguyen => Win
            SQL => sequel [case]
            New York => New York City
            /(\\d+)\\s?km/ => $1 kilometres
            """)
        #expect(lexicon.count == 4)
        #expect(lexicon.apply(to: "nguyen met Nguyens in new york; SQL and sql, 12 km or 5km.")
            == "Win met Nguyens in New York City; sequel and sql, 12 kilometres or 5 kilometres.")
        // CRLF lines; an arrow inside a pattern is the pattern's.
        let windows = try Lexicon(parsing: "# rules\r\nAnn => Ahn\r\n/a=>b/ => a to b\r\n")
        #expect(windows.count == 2)
        #expect(windows.apply(to: "Ann wrote a=>b.") == "Ahn wrote a to b.")
        // Terms that begin with a non-ASCII letter, in either case, at the text's very ends.
        let nordic = try Lexicon(parsing: "Ølund => Oh-lund\nÅse => Oh-seh")
        #expect(nordic.apply(to: "ølund and ÅSE met Ølunder at Ølund") == "Oh-lund and Oh-seh met Ølunder at Oh-lund")
    }

    @Test func badLexiconRulesNameTheirLine() {
        func error(_ text: String) -> LexiconError? {
            do { _ = try Lexicon(parsing: text) } catch { return error.errors.first }
            return nil
        }
        #expect(error("# ok\nno arrow here") == LexiconError(line: 2, message: "a rule is 'term => respelling' and this line has no '=>'"))
        #expect(error("a => b\n => c")?.line == 2)
        #expect(error("a => ")?.message.contains("respelling") == true)
        #expect(error("a => b [loud]")?.message.contains("[case]") == true)
        #expect(error("/(unclosed/ => x")?.message.contains("not a valid regular expression") == true)
        #expect(error("/x*/ => y")?.message.contains("empty") == true)
        #expect(error("Ann => An\nann => Ahn")?.message == "'ann' already has a rule on line 1")
        // Every bad line is told at once, in order, the good ones between them kept quiet.
        #expect(throws: LexiconErrors.self) { try Lexicon(parsing: "one\nA => a\n => x\nB => \n# fine\nC => c [loud]\nA => again") }
        do { _ = try Lexicon(parsing: "one\nA => a\n => x\nB => \n# fine\nC => c [loud]\nA => again") } catch {
            #expect(error.errors.map(\.line) == [1, 3, 4, 6, 7])
        }
    }

    @Test func quotedSpeechGoesToTheSecondVoice() {
        let voices = DialogueVoices.quotes(narrator: "N", quotes: "Q")
        let segments = voices.segments(of: "He said, \"Hello there.\" She answered “Not ‘now’, “really” not.” Then left.")
        #expect(segments.map(\.voice) == ["N", "Q", "N", "Q", "N"])
        #expect(segments.map(\.text).joined() == "He said, \"Hello there.\" She answered “Not ‘now’, “really” not.” Then left.")
        #expect(segments[3].text == "“Not ‘now’, “really” not.”")
        // An unclosed quote ends at its paragraph's end.
        let open = voices.segments(of: "“A speech that goes on\n\n“and on.” Back to him.")
        #expect(open.map(\.voice) == ["Q", "N"])
        #expect(open.map(\.text) == ["“A speech that goes on\n\n“and on.”", " Back to him."])
        // A stray closing mark is text; an unclosed straight quote ends with its paragraph.
        let stray = voices.segments(of: "Size 12” pipe. \"Open\n\nNext paragraph.")
        #expect(stray.map(\.voice) == ["N", "Q", "N"])
        #expect(stray.last?.text.hasSuffix("\nNext paragraph.") == true)
    }

    @Test func scriptLinesGoToTheirSpeakers() {
        let voices = DialogueVoices.script(narrator: "N", speakers: ["ALICE": "A", "BOB": "B"])
        let segments = voices.segments(of: "The hall was quiet.\nALICE: Who is there?\nBOB: Only me.\nCAROL: Not a speaker.")
        #expect(segments.map(\.voice) == ["N", "A", "B", "N"])
        #expect(segments.map(\.text).joined() == "The hall was quiet.\nWho is there?\nOnly me.\nCAROL: Not a speaker.")
    }

    @Test func spokenTextLaysOutVoicesAndHeadingsAfterTheLexicon() throws {
        let source = "# Arrival\n\nNguyen said, \"Come in.\" Then he waited."
        let spoken = SpokenText(source, options: .init(markdown: true, lexicon: try Lexicon(parsing: "Nguyen => Win"), dialogue: .quotes(narrator: "N", quotes: "Q")))
        #expect(spoken.text == "Arrival.\n\nWin said, \"Come in.\" Then he waited.")
        let chars = Array(spoken.text)
        #expect(spoken.headings.map { String(chars[$0]) } == ["Arrival."])
        #expect(spoken.voiceRuns.map { String(chars[$0.range]) } == ["Arrival.\n\nWin said, ", "\"Come in.\"", " Then he waited."])
        #expect(spoken.voiceRuns.map(\.voice) == ["N", "Q", "N"])
        // Plain text without options is sent exactly as written.
        #expect(SpokenText("  # not a heading *here*  ", options: .init(markdown: false)).text == "  # not a heading *here*  ")
    }

    @Test func chunksStayInOneVoiceAndNeverEndOnAHeading() {
        let text = "Intro words here.\n\nHeading.\n\nBody text that follows the heading at some length."
        let chars = Array(text)
        let heading = 19..<27
        #expect(String(chars[heading]) == "Heading.")
        // Without the layout the heading ends the first chunk; with it, it starts the second.
        let plain = NarrationSplitter.spans(chars, maxChars: 30, keeping: .none).map { String(chars[$0]) }
        #expect(plain.first == "Intro words here.\n\nHeading.")
        let laid = NarrationSplitter.spans(chars, maxChars: 30, keeping: .none, layout: SplitLayout(headings: [heading])).map { String(chars[$0]) }
        #expect(laid.first == "Intro words here.")
        #expect(laid.dropFirst().first?.hasPrefix("Heading.") == true)
        // Sections (voices) are never crossed, however small.
        let spoken = "He said, \"Yes.\" And left."
        let spokenChars = Array(spoken)
        let sections = [0..<9, 9..<15, 15..<spokenChars.count]
        let spans = NarrationSplitter.spans(spokenChars, maxChars: 1000, keeping: .none, layout: SplitLayout(sections: sections))
        #expect(spans.map { String(spokenChars[$0]) } == ["He said,", "\"Yes.\"", "And left."])
    }

    @Test func subtitleCuesFollowChunkDurationsAndCharacterShares() {
        let cues = Subtitles.cues(chunks: ["One two. Three four five six.", "Last one."], durations: [3.0, 1.5])
        #expect(cues.map(\.text) == ["One two.", "Three four five six.", "Last one."])
        #expect(cues.first?.start == 0)
        #expect(cues.last?.end == 4500)
        #expect(cues[1].start == 931)  // 9 of 29 characters of 3 s
        for (cue, next) in zip(cues, cues.dropFirst()) {
            #expect(cue.start < cue.end && cue.end <= next.start)
        }
        let srt = Subtitles.render(cues, webVTT: false)
        #expect(srt.hasPrefix("1\n00:00:00,000 --> 00:00:00,931\nOne two.\n\n2\n"))
        let vtt = Subtitles.render(cues, webVTT: true)
        #expect(vtt.hasPrefix("WEBVTT\n\n00:00:00.000 --> 00:00:00.931\nOne two.\n\n"))
        #expect(vtt.contains("00:00:03.000 --> 00:00:04.500\nLast one."))
    }
}

/// Random Markdown-ish texts: the conversion never traps, and what the splitter gets from it
/// keeps every promise (voices covering the text, chunks inside one voice, no chunk ending
/// on a heading that text of its voice follows).
@Suite struct SpokenTextPropertyTests {
    static let alphabet: [String] = [
        "#", "# ", "## ", "*", "**", "_", "~~", "`", "```", "~~~", "[", "]", "(", ")", "![", "<", ">", "> ", "<!--", "-->",
        "&amp;", "&#", ";", "|", "|---|", "- ", "1. ", "---", "===", "\\", "\"", "“", "”", "'", ".", "!", "?", ",", ":",
        "\n", "\n\n", " ", "    ", "\t", "word", "Nguyen", "é", "e\u{301}", "🏳️‍🌈", "ALICE: ", "https://x.y", "Dr.", "3.14",
    ]

    @Test func randomTextsConvertAndSplitWithinTheirPromises() throws {
        var random = try TestSeed.generator()
        let lexicon = try Lexicon(parsing: "Nguyen => Win\nword => wurd [case]\n/\\d+/ => number\n")
        for round in 0..<300 {
            let length = Int.random(in: 0...120, using: &random)
            let source = (0..<length).map { _ in Self.alphabet.randomElement(using: &random)! }.joined()
            let dialogue: DialogueVoices = round % 2 == 0 ? .quotes(narrator: "N", quotes: "Q") : .script(narrator: "N", speakers: ["ALICE": "A"])
            let spoken = SpokenText(source, options: .init(markdown: round % 3 != 0, readCode: round % 5 == 0, lexicon: lexicon, dialogue: dialogue))
            let chars = Array(spoken.text)
            if !spoken.voiceRuns.isEmpty {
                #expect(spoken.voiceRuns.first?.range.lowerBound == 0)
                #expect(spoken.voiceRuns.last?.range.upperBound == chars.count)
                for (run, next) in zip(spoken.voiceRuns, spoken.voiceRuns.dropFirst()) { #expect(run.range.upperBound == next.range.lowerBound) }
            }
            #expect(spoken.headings.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= chars.count })
            let sections = spoken.voiceRuns.map(\.range)
            let limit = Int.random(in: 1...40, using: &random)
            let spans = NarrationSplitter.spans(chars, maxChars: limit, keeping: .none, layout: SplitLayout(sections: sections, headings: spoken.headings))
            // (A heading longer than a chunk is cut like any text: not checked.)
            let headingEnds = Set(spoken.headings.filter { $0.count <= limit }.map(\.upperBound))
            let headingStarts = Set(spoken.headings.map(\.lowerBound))
            for (index, span) in spans.enumerated() {
                let section = sections.first { $0.lowerBound <= span.lowerBound && span.upperBound <= $0.upperBound }
                #expect(sections.isEmpty || section != nil, "\(source.debugDescription)")
                // A chunk ending with a heading, followed by more of its section, is headings only.
                let followed = index + 1 < spans.count && (section.map { spans[index + 1].upperBound <= $0.upperBound } ?? true)
                if followed, headingEnds.contains(span.upperBound) {
                    #expect(headingStarts.contains(span.lowerBound), "\(spoken.text.debugDescription) \(spans) \(spoken.headings) \(limit)")
                }
            }
            _ = MarkdownSpeech.headings(source)
            _ = Subtitles.cues(chunks: spans.map { String(chars[$0]) }, durations: spans.map { Double($0.count) / 10 })
        }
    }
}
