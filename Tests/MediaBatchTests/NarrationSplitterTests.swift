import Manifest
import Narration
import Testing


@Suite struct NarrationSplitterTests {
    /// Checks every documented guarantee and returns the chunks for further checks.
    @discardableResult
    func splitChecked(_ text: String, _ maxChars: Int, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let chunks = NarrationSplitter.split(text, maxChars: maxChars)
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.count <= maxChars, "chunk \(index) has \(chunk.count) > \(maxChars)", sourceLocation: sourceLocation)
            #expect(!chunk.isEmpty, "chunk \(index) is empty", sourceLocation: sourceLocation)
            #expect(chunk.first?.isWhitespace == false && chunk.last?.isWhitespace == false,
                    "chunk \(index) is not trimmed: \(chunk.debugDescription)", sourceLocation: sourceLocation)
        }
        #expect(squeezed(chunks.joined()) == squeezed(text), "chunks lose or add text", sourceLocation: sourceLocation)
        return chunks
    }

    func squeezed(_ text: String) -> String { String(text.filter { !$0.isWhitespace }) }

    /// The sentences the splitter sees in `text`, independent of chunk packing.
    func sentences(_ text: String) -> [String] {
        let chars = Array(text)
        var start = 0
        return (NarrationSplitter.sentenceEnds(chars, 0..<chars.count) + [chars.count]).map { end in
            defer { start = end }
            return String(chars[NarrationSplitter.trimmed(chars, start..<end)])
        }
    }

    @Test func shortTextIsOneTrimmedChunk() {
        #expect(splitChecked("  Hello world.\n", 100) == ["Hello world."])
        #expect(splitChecked("Exactly ten", 11) == ["Exactly ten"])
        #expect(splitChecked("   \n\n  ", 10).isEmpty)
        #expect(splitChecked("", 10).isEmpty)
    }

    @Test func doesNotSplitAfterAbbreviations() {
        #expect(splitChecked("Dr. Smith went to Washington. He met Mr. Jones there.", 35)
            == ["Dr. Smith went to Washington.", "He met Mr. Jones there."])
        let text = "Prof. Xavier and Mrs. Grey met Ms. Lee at St. Mary's on Jan. 3 vs. Dec. 9. Then they left."
        #expect(splitChecked(text, 80)
            == ["Prof. Xavier and Mrs. Grey met Ms. Lee at St. Mary's on Jan. 3 vs. Dec. 9.", "Then they left."])
        #expect(splitChecked("The U.S. Army and the U.K. Navy met. They talked.", 40)
            == ["The U.S. Army and the U.K. Navy met.", "They talked."])
        #expect(splitChecked("Buy fruit, e.g. Apples, etc. Then go. See No. 5 and Fig. 2 here.", 40)
            == ["Buy fruit, e.g. Apples, etc. Then go.", "See No. 5 and Fig. 2 here."])
        #expect(sentences("Ask Dr. Who. Ask Prof. X, i.e. Charles. It is 5 p.m. Now. Mt. Fuji vs. K2 is No. 1.")
            == ["Ask Dr. Who.", "Ask Prof. X, i.e. Charles.", "It is 5 p.m. Now.", "Mt. Fuji vs. K2 is No. 1."])
        // "no." without a number is a normal word that ends the sentence.
        #expect(splitChecked("He said no. Then he left the room.", 25) == ["He said no.", "Then he left the room."])
    }

    @Test func doesNotSplitAfterInitials() {
        #expect(splitChecked("J. R. R. Tolkien wrote books. C. S. Lewis did too.", 30)
            == ["J. R. R. Tolkien wrote books.", "C. S. Lewis did too."])
        #expect(splitChecked("It was written by J.R.R. Tolkien. Lewis too.", 35)
            == ["It was written by J.R.R. Tolkien.", "Lewis too."])
    }

    @Test func doesNotSplitInsideDecimalsOrEllipses() {
        #expect(splitChecked("Pi is about 3.14 and coffee costs $2.50 today. Version 2.0.1 shipped.", 50)
            == ["Pi is about 3.14 and coffee costs $2.50 today.", "Version 2.0.1 shipped."])
        #expect(splitChecked("Well... maybe we should wait. Yes.", 30) == ["Well... maybe we should wait.", "Yes."])
        #expect(splitChecked("I waited… and waited. Nothing.", 22) == ["I waited… and waited.", "Nothing."])
        #expect(splitChecked("It ended... Then silence fell.", 15) == ["It ended...", "Then silence", "fell."])
    }

    @Test func keepsClosingQuotesWithTheSentence() {
        #expect(splitChecked("He said \"Stop.\" Then left.", 20) == ["He said \"Stop.\"", "Then left."])
        #expect(splitChecked("“Are you sure?” she asked. “Yes!” (He nodded.) Fine.", 30)
            == ["“Are you sure?” she asked.", "“Yes!” (He nodded.) Fine."])
        #expect(splitChecked("She wrote 'done.' Later 'again!' we saw.", 20)
            == ["She wrote 'done.'", "Later 'again!' we", "saw."])
    }

    @Test func prefersParagraphBreaks() {
        let text = "First paragraph is here.\n\nSecond one follows.\r\n  \r\nThird."
        #expect(splitChecked(text, 26) == ["First paragraph is here.", "Second one follows.", "Third."])
        // Chunks are slices of the input, so a packed paragraph break survives.
        #expect(splitChecked("One.\n\nTwo.", 8) == ["One.", "Two."])
        #expect(splitChecked("One.\n\nTwo. Three is long.", 12) == ["One.\n\nTwo.", "Three is", "long."])
    }

    @Test func fallsBackToClausesThenWordsThenHardCuts() {
        let clauses = "alpha beta gamma; delta epsilon zeta: eta theta, iota kappa lambda"
        #expect(splitChecked(clauses, 20) == ["alpha beta gamma;", "delta epsilon zeta:", "eta theta,", "iota kappa lambda"])
        #expect(splitChecked("It costs 1,000 dollars at 10:30 today", 12) == ["It costs", "1,000", "dollars at", "10:30 today"])

        let words = (0..<300).map { ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dogs"][$0 % 8] }
        let longSentence = words.joined(separator: " ")
        let chunks = splitChecked(longSentence, 60)
        #expect(chunks.joined(separator: " ") == longSentence, "a word was cut although every word fits")
        #expect(chunks.dropLast().allSatisfy { $0.count > 50 }, "greedy packing leaves chunks too short")

        let giant = String(repeating: "a", count: 250)
        #expect(splitChecked("Start \(giant) end.", 100).map(\.count) == [5, 100, 100, 55])
        #expect(splitChecked("abcdef", 1) == ["a", "b", "c", "d", "e", "f"])
    }

    @Test func splitsJapaneseRussianAndArabic() {
        let japanese = String(repeating: "これは日本語の文です。次の文もあります！本当ですか？はい、そうです。", count: 20)
        let chunks = splitChecked(japanese, 40)
        #expect(chunks.count > 10)
        #expect(chunks.allSatisfy { ["。", "！", "？"].contains($0.last) }, "a Japanese chunk ends mid-sentence")
        // A sentence without punctuation or spaces gets hard cuts.
        #expect(splitChecked(String(repeating: "日本語", count: 30), 25).map(\.count) == [25, 25, 25, 15])

        let russian = "Это русский текст. Он тоже должен работать! Правда? Да, т. е. конечно, проф. Иванов согласен."
        let ru = splitChecked(russian, 30)
        #expect(ru.first == "Это русский текст.")
        #expect(!ru.contains { $0.hasSuffix(" т.") || $0.hasSuffix(" е.") || $0.hasSuffix(" проф.") })
        #expect(sentences(russian) == ["Это русский текст.", "Он тоже должен работать!", "Правда?",
                                       "Да, т. е. конечно, проф. Иванов согласен."])
        #expect(splitChecked(russian, 200) == [russian])

        let arabic = "هذا نص عربي طويل. هل يعمل التقسيم؟ نعم، يعمل جيدا مع النص العربي."
        let ar = splitChecked(arabic, 25)
        #expect(ar.first == "هذا نص عربي طويل.")
        #expect(ar.allSatisfy { !$0.isEmpty })
        #expect(sentences(arabic) == ["هذا نص عربي طويل.", "هل يعمل التقسيم؟", "نعم، يعمل جيدا مع النص العربي."])
        #expect(sentences("日本です。「はい。」と言った！本当？うん") == ["日本です。", "「はい。」", "と言った！", "本当？", "うん"])
    }

    /// About 30,000 characters of mixed prose, deterministic.
    func chapter() -> String {
        let sentences = [
            "Dr. Watson looked at the map and sighed.",
            "\"We are late,\" said Mr. Holmes, \"and the train leaves at 3.15 sharp.\"",
            "The ticket cost $2.50, i.e. more than they had.",
            "J. R. R. Tolkien's books lay on the table, next to No. 7 of the gazette.",
            "She whispered… and then said nothing at all.",
            "Was it true?",
            "Прошло много лет, и город изменился до неузнаваемости.",
            "東京の空は青かった。",
            "Wait... what was that noise?",
            "The U.S. delegation arrived on Jan. 4, e.g. a Tuesday, vs. the usual Monday!",
            "(Nobody answered.)",
        ]
        let runOn = (0..<120).map { "word\($0 % 17)" }.joined(separator: " ")
        var seed: UInt64 = 42
        var paragraphs: [String] = []
        var total = 0
        while total < 30_000 {
            var paragraph: [String] = []
            for _ in 0..<(3 + Int(seed % 6)) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let pick = Int(seed >> 33) % (sentences.count + 2)
                paragraph.append(pick < sentences.count ? sentences[pick] : pick == sentences.count ? runOn : "x" + String(repeating: "y", count: 700))
            }
            let text = paragraph.joined(separator: " ")
            total += text.count + 2
            paragraphs.append(text)
        }
        return paragraphs.joined(separator: "\n\n")
    }

    @Test func longChapterKeepsEveryGuarantee() {
        let text = chapter()
        #expect(text.count >= 30_000)
        for maxChars in [1, 9, 64, 300, 1000, 4096] {
            let chunks = splitChecked(text, maxChars)
            #expect(chunks.count >= squeezed(text).count / maxChars)
        }
        // With room for whole sentences, every chunk of normal prose ends at a sentence end.
        let prose = chapter().split(separator: "\n\n").filter { !$0.contains("word0") && !$0.contains("yyyy") }
            .joined(separator: "\n\n")
        let enders: Set<Character> = [".", "!", "?", "…", "。", ")", "\"", "”"]
        let abbreviations = ["Dr.", "Mr.", "No.", "e.g.", "i.e.", "vs.", "Jan.", "J.", "R.", "U.S."]
        for chunk in splitChecked(prose, 500) {
            #expect(chunk.last.map(enders.contains) == true, "chunk ends mid-sentence: …\(chunk.suffix(30))")
            #expect(!abbreviations.contains { chunk.hasSuffix(" " + $0) }, "chunk ends at an abbreviation: …\(chunk.suffix(30))")
        }
    }
}
