/// One subtitle cue: a sentence and when it is heard, in milliseconds from the start.
public struct SubtitleCue: Sendable, Equatable {
    public let start: Int
    public let end: Int
    public let text: String
}

/// Subtitles for a narration: one cue per sentence, timed from each chunk's exact duration
/// and the sentence's share of the chunk's characters. Each chunk's cues start exactly when
/// its audio starts and the last ends exactly when it ends, so the error stays inside one
/// chunk: at most the difference between a sentence's share of characters and its share of
/// speaking time (a fraction of a second for ordinary prose).
public enum Subtitles {
    /// The cues for `chunks` (texts, in order) lasting `durations` seconds each. Times are
    /// rounded to milliseconds from the running sum, so cues never overlap and the last ends
    /// at the sum of the durations (rounded).
    public static func cues(chunks: [String], durations: [Double]) -> [SubtitleCue] {
        precondition(chunks.count == durations.count, "one duration per chunk")
        var cues: [SubtitleCue] = []
        var chunkStart = 0.0
        for (text, duration) in zip(chunks, durations) {
            let chars = Array(text)
            let sentences = sentenceSpans(chars)
            let total = Double(max(chars.count, 1))
            for (index, span) in sentences.enumerated() {
                // Each sentence owns its characters and the spaces after it, up to the next one.
                let from = index == 0 ? 0 : span.lowerBound
                let to = index + 1 < sentences.count ? sentences[index + 1].lowerBound : chars.count
                let start = milliseconds(chunkStart + duration * Double(from) / total)
                let end = milliseconds(chunkStart + duration * Double(to) / total)
                let words = String(chars[span]).split(whereSeparator: \.isPureWhitespace).joined(separator: " ")
                guard end > start, !words.isEmpty else { continue }
                cues.append(SubtitleCue(start: start, end: end, text: words))
            }
            chunkStart += duration
        }
        return cues
    }

    /// The sentences of a chunk (trimmed, as Character ranges): cut at sentence ends and
    /// paragraph breaks, as the splitter cuts them.
    static func sentenceSpans(_ chars: [Character]) -> [Range<Int>] {
        let all = 0..<chars.count
        var spans: [Range<Int>] = []
        var start = 0
        for paragraphEnd in NarrationSplitter.paragraphBreaks(chars, all) + [chars.count] {
            let paragraph = start..<paragraphEnd
            var sentenceStart = paragraph.lowerBound
            for cut in NarrationSplitter.sentenceEnds(chars, paragraph) + [paragraph.upperBound] {
                let sentence = NarrationSplitter.trimmed(chars, sentenceStart..<cut)
                if !sentence.isEmpty { spans.append(sentence) }
                sentenceStart = cut
            }
            start = paragraphEnd
        }
        return spans
    }

    private static func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

    /// The cues as a SubRip (`.srt`) file, or as WebVTT (`.vtt`) when `webVTT`. Lines are
    /// wrapped at about 42 characters.
    public static func render(_ cues: [SubtitleCue], webVTT: Bool) -> String {
        var out = webVTT ? "WEBVTT\n\n" : ""
        for (index, cue) in cues.enumerated() {
            if !webVTT { out += "\(index + 1)\n" }
            out += "\(timestamp(cue.start, webVTT: webVTT)) --> \(timestamp(cue.end, webVTT: webVTT))\n"
            out += wrapped(webVTT ? escapedForVTT(cue.text) : cue.text).joined(separator: "\n") + "\n\n"
        }
        return out
    }

    static func timestamp(_ milliseconds: Int, webVTT: Bool) -> String {
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let seconds = milliseconds / 1000 % 60
        let millis = milliseconds % 1000
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2))\(webVTT ? "." : ",")\(pad(millis, 3))"
    }

    static func wrapped(_ text: String, width: Int = 42) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// WebVTT cue text may not hold `<`, `&` or "-->" as such.
    static func escapedForVTT(_ text: String) -> String {
        var out = ""
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(char)
            }
        }
        return out
    }
}
