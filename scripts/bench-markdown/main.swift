// Times the Narration module's text made for speaking on a 1 MB Markdown book: Markdown to
// speech alone, and with a lexicon and quoted dialogue. Built by scripts/bench-markdown.sh
// from the module's sources with -O; prints milliseconds and exits 1 over the limit.
import Glibc

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

@main struct BenchMarkdown {
    static func main() throws {
        let limit = Double(CommandLine.arguments.dropFirst().first ?? "100") ?? 100
        let chapter = """
            # Chapter Seven

            It was *the worst night* of __her__ life, and ~~nobody~~ everyone knew it. Dr. Okonkwo
            read [the letter](https://example.com/letter) and saw ![a lighthouse](light.png) in the margin.
            "Not yet," she said. “The lens is still cold.” Her code word was `tide` &amp; nothing more.

            ## 8. Morning

            > A quoted line, **strong**, with <b>markup</b> in it.

            - first item
            - second item, with a [link][ref]
            1. numbered one

            | Name | Age |
            |------|----:|
            | Ann  | 31  |

            ```swift
            let secret = "never said"
            ```

            ***


            """
        var book = ""
        while book.utf8.count < 1_000_000 { book += chapter }
        let lexicon = try Lexicon(parsing: "Okonkwo => Oh-konk-woh\nHallowell => Hallo-well\nSkerrow => Skeh-roh\n/(\\d+) km/ => $1 kilometres\n")
        var best = (plain: Double.infinity, full: Double.infinity)
        var size = 0
        for _ in 0..<5 {
            var start = now()
            size = MarkdownSpeech.spoken(book).utf8.count
            best.plain = min(best.plain, now() - start)
            start = now()
            let spoken = SpokenText(book, options: .init(markdown: true, lexicon: lexicon, dialogue: .quotes(narrator: "a", quotes: "b")))
            precondition(!spoken.voiceRuns.isEmpty)
            best.full = min(best.full, now() - start)
        }
        // Where the time goes, each step alone on the spoken text.
        let spokenText = MarkdownSpeech.spoken(book)
        let words = try Lexicon(parsing: "Okonkwo => Oh-konk-woh\nHallowell => Hallo-well\n")
        let pattern = try Lexicon(parsing: "/(\\d+) km/ => $1 kilometres\n")
        var start = now()
        _ = words.apply(to: spokenText)
        let wordsMS = ((now() - start) * 1000).rounded()
        start = now()
        _ = pattern.apply(to: spokenText)
        let patternMS = ((now() - start) * 1000).rounded()
        start = now()
        _ = DialogueVoices.quotes(narrator: "a", quotes: "b").segments(of: spokenText)
        let dialogueMS = ((now() - start) * 1000).rounded()
        print("steps: word rules \(wordsMS) ms, one pattern rule \(patternMS) ms, dialogue \(dialogueMS) ms")
        let plainMS = (best.plain * 1000).rounded()
        let fullMS = (best.full * 1000).rounded()
        print("markdown to speech: \(book.utf8.count) bytes -> \(size) bytes in \(plainMS) ms (best of 5); with lexicon and dialogue: \(fullMS) ms; limit \(limit) ms")
        if plainMS > limit { exit(1) }
    }
}
