// Splits long narration text into chunks small enough for one /audio/speech request each.

/// Splits narration text into chunks of at most `maxChars` Characters at the most natural
/// boundaries available, so each chunk can be synthesized separately and the audio joined.
public enum NarrationSplitter {
    /// Splits `text` into chunks of at most `maxChars` Characters (grapheme clusters).
    ///
    /// Text that fits comes back as one trimmed chunk; empty or all-whitespace text gives no
    /// chunks. Longer text is cut at paragraph breaks (blank lines), then sentence ends, then
    /// `;`, `:`, `,`, then whitespace, and finally — for a single word longer than `maxChars` —
    /// anywhere. The resulting pieces are packed greedily, in order, into chunks. Each chunk is
    /// a trimmed slice of the input, so the chunks joined equal the input apart from whitespace.
    /// A `maxChars` below 1 is treated as 1.
    public static func split(_ text: String, maxChars: Int) -> [String] {
        split(text, maxChars: maxChars, keeping: .none)
    }

    /// Boundary kinds, tried in order until every piece fits.
    package enum Level: Int, CaseIterable {
        case paragraph, sentence, semicolon, colon, comma, space, hardCut

        package var next: Level { Level(rawValue: rawValue + 1) ?? .hardCut }
    }

    /// Appends the trimmed, non-empty pieces of `range` (each at most `limit` long) to `pieces`.
    package static func collect(_ chars: [Character], _ range: Range<Int>, level: Level, limit: Int, into pieces: inout [Range<Int>]) {
        let range = trimmed(chars, range)
        guard !range.isEmpty else { return }
        if range.count <= limit {
            pieces.append(range)
            return
        }
        if level == .hardCut {
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + limit, range.upperBound)
                pieces.append(start..<end)
                start = end
            }
            return
        }
        var start = range.lowerBound
        for cut in cuts(chars, range, level: level) + [range.upperBound] {
            collect(chars, start..<cut, level: level.next, limit: limit, into: &pieces)
            start = cut
        }
    }

    /// Positions inside `range` where a piece may end at this level.
    package static func cuts(_ chars: [Character], _ range: Range<Int>, level: Level) -> [Int] {
        switch level {
        case .paragraph: return paragraphBreaks(chars, range)
        case .sentence: return sentenceEnds(chars, range)
        case .semicolon: return clauseEnds(chars, range, marks: [";", "；"])
        case .colon: return clauseEnds(chars, range, marks: [":", "："])
        case .comma: return clauseEnds(chars, range, marks: [",", "，", "、", "،"])
        case .space:
            return range.dropFirst().filter { chars[$0].isPureWhitespace && !chars[$0 - 1].isPureWhitespace }
        case .hardCut: return []
        }
    }

    package static func trimmed(_ chars: [Character], _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, chars[lower].isPureWhitespace { lower += 1 }
        while upper > lower, chars[upper - 1].isPureWhitespace { upper -= 1 }
        return lower..<upper
    }

    /// Starts of whitespace runs that contain two or more line breaks (a blank line).
    package static func paragraphBreaks(_ chars: [Character], _ range: Range<Int>) -> [Int] {
        var result: [Int] = []
        var index = range.lowerBound
        while index < range.upperBound {
            guard chars[index].isPureWhitespace else {
                index += 1
                continue
            }
            let start = index
            var newlines = 0
            while index < range.upperBound, chars[index].isPureWhitespace {
                if chars[index].isNewline { newlines += 1 }
                index += 1
            }
            if newlines >= 2 { result.append(start) }
        }
        return result
    }

    package static let terminators: Set<Character> = [".", "!", "?", "…", "‼", "⁇", "⁈", "⁉", "。", "！", "？", "؟", "۔", "।"]
    /// Terminators that end a sentence even without following whitespace (CJK full-width).
    package static let wideTerminators: Set<Character> = ["。", "！", "？"]
    package static let closers: Set<Character> = [
        "\"", "'", "”", "’", "»", "›", ")", "]", "}", "」", "』", "）", "】", "〕", "〉", "》", "］", "｝",
    ]
    /// Words that end with a period without ending the sentence.
    package static let abbreviations: Set<String> = [
        "dr", "mr", "mrs", "ms", "mx", "prof", "st", "sr", "jr", "etc", "vs", "fig", "figs", "eq",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mt", "ft", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "gov", "sen", "rep", "rev", "hon",
        "inc", "ltd", "co", "corp", "dept", "univ", "approx", "cf", "al", "ave", "blvd", "rd", "esp",
        "проф", "акад", "доц", "ул", "им", "стр", "рис", "тыс", "млн", "млрд",
    ]
    /// Abbreviations only when a number follows ("No. 5", "p. 12"): "no." often ends a sentence.
    package static let numberAbbreviations: Set<String> = ["no", "nos", "p", "pp", "vol", "ch", "sec", "art", "op"]

    /// Positions right after sentence-ending punctuation and any closing quotes/brackets.
    package static func sentenceEnds(_ chars: [Character], _ range: Range<Int>) -> [Int] {
        var result: [Int] = []
        var index = range.lowerBound
        while index < range.upperBound {
            guard terminators.contains(chars[index]) else {
                index += 1
                continue
            }
            let mark = index
            var end = index
            var wide = false
            while end < range.upperBound, terminators.contains(chars[end]) {
                wide = wide || wideTerminators.contains(chars[end])
                end += 1
            }
            let singlePeriod = end - mark == 1 && chars[mark] == "."
            while end < range.upperBound, closers.contains(chars[end]) { end += 1 }
            index = end
            guard end < range.upperBound else { continue }  // the range's own end is no cut
            if wide {
                result.append(end)
                continue
            }
            guard chars[end].isPureWhitespace else { continue }  // 3.14, e.g, example.com, U.S.A
            var next = end
            while next < range.upperBound, chars[next].isPureWhitespace { next += 1 }
            if next < range.upperBound, chars[next].isLowercase { continue }  // "wait... what", "e.g. the"
            if singlePeriod, !periodEndsSentence(chars, range, period: mark, following: next) { continue }
            result.append(end)
        }
        return result
    }

    /// False after an abbreviation, an initial ("J."), or dotted letters ("U.S.", "e.g.").
    package static func periodEndsSentence(_ chars: [Character], _ range: Range<Int>, period: Int, following: Int) -> Bool {
        var start = period
        // Abbreviations are short; a longer word (or unspaced text) ends the sentence.
        while start > range.lowerBound, !chars[start - 1].isPureWhitespace {
            guard period - start < 16 else { return true }
            start -= 1
        }
        // Strip opening quotes/brackets: ("Dr. → Dr
        while start < period, !(chars[start].isLetter || chars[start].isNumber) { start += 1 }
        let word = chars[start..<period]
        guard !word.isEmpty else { return true }
        let lower = String(word).lowercased()
        if abbreviations.contains(lower) { return false }
        if numberAbbreviations.contains(lower) {
            return !(following < range.upperBound && chars[following].isNumber)
        }
        if word.count == 1, let letter = word.first, letter.isLetter, letter != "I" { return false }
        // Letters separated by single dots: U.S, e.g, i.e, a.m, J.R.R
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 1, parts.allSatisfy({ $0.count == 1 && $0.first?.isLetter == true }) { return false }
        return true
    }

    /// Positions right after one of `marks` (plus closers) that is followed by whitespace,
    /// or after a full-width mark, which needs none. "1,000" and "10:30" are not cut.
    package static func clauseEnds(_ chars: [Character], _ range: Range<Int>, marks: Set<Character>) -> [Int] {
        var result: [Int] = []
        var index = range.lowerBound
        while index < range.upperBound {
            guard marks.contains(chars[index]) else {
                index += 1
                continue
            }
            let wide = !chars[index].isASCII
            var end = index + 1
            while end < range.upperBound, closers.contains(chars[end]) { end += 1 }
            index = end
            if end < range.upperBound, wide || chars[end].isPureWhitespace { result.append(end) }
        }
        return result
    }
}

extension Character {
    /// Whitespace through and through: a space carrying a combining mark (" \u{301}") is
    /// text to keep, though Swift's `isWhitespace` judges it by its first scalar.
    package var isPureWhitespace: Bool { unicodeScalars.allSatisfy { $0.properties.isWhitespace } }
}
