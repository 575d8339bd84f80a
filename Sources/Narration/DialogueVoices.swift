import Support

/// Which voice reads which part of a narration: the narrator, quoted speech in a second
/// voice, or a script's speakers (`NAME: line`) each in their own.
public enum DialogueVoices: Sendable, Equatable {
    /// Text inside double quotes (straight `"` or curly `“ ”`) in `quotes`, the rest in `narrator`.
    case quotes(narrator: String, quotes: String)
    /// Lines `NAME: words` whose NAME is a key of `speakers` in that speaker's voice (the
    /// name and colon are not said); every other line in `narrator`.
    case script(narrator: String, speakers: [String: String])

    /// The narrator's voice.
    public var narrator: String {
        switch self {
        case .quotes(let narrator, _), .script(let narrator, _): return narrator
        }
    }

    /// Every voice the rule may use, the narrator's first.
    public var voices: [String] {
        switch self {
        case .quotes(let narrator, let quotes): return narrator == quotes ? [narrator] : [narrator, quotes]
        case .script(let narrator, let speakers):
            return [narrator] + Set(speakers.values).subtracting([narrator]).sorted()
        }
    }

    /// `text` cut into consecutive pieces, each with its voice; the pieces joined are `text`
    /// (for `script`, without the speakers' `NAME:` prefixes).
    public func segments(of text: String) -> [(text: String, voice: String)] {
        switch self {
        case .quotes(let narrator, let quotes): return Self.quoteSegments(text, narrator: narrator, quotes: quotes)
        case .script(let narrator, let speakers): return Self.scriptSegments(text, narrator: narrator, speakers: speakers)
        }
    }

    /// Quotes: `“` opens and `”` closes (nesting counted); a straight `"` closes a quote it
    /// opened, else opens one. A closing mark with nothing open is text. A quote still open
    /// at a paragraph's end (a blank line, or the end of the text) ends there: the usual way
    /// of printing a speech over several paragraphs opens it again in the next. Single quotes
    /// and apostrophes never change the voice (a quote within a quote stays in the quote's voice).
    static func quoteSegments(_ text: String, narrator: String, quotes: String) -> [(text: String, voice: String)] {
        // Every mark is one scalar, so the scan goes over UTF-8 and cuts at scalar boundaries.
        enum Mark { case straight, curly }
        var segments: [(text: String, voice: String)] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var open: [Mark] = []
        func cut(at end: String.Index, _ voice: String) {
            if start < end { segments.append((String(text[start..<end]), voice)) }
            start = end
        }
        var newlines = 0
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            let next = utf8.index(after: index)
            switch byte {
            case 0x0A:
                newlines += 1
                if newlines >= 2, !open.isEmpty {
                    cut(at: index, quotes)
                    open = []
                }
            case 0x20, 0x09, 0x0D: break
            default: newlines = 0
            }
            var mark: (Mark, opens: Bool)?
            if byte == 0x22 {
                mark = (.straight, open.last != .straight)
            } else if byte == 0xE2, let second = utf8[next...].first, second == 0x80, let third = utf8[utf8.index(after: next)...].first, third == 0x9C || third == 0x9D {
                mark = (.curly, third == 0x9C)
            }
            if let (kind, opens) = mark {
                let after = text.unicodeScalars.index(after: index)
                if opens {
                    if open.isEmpty { cut(at: index, narrator) }
                    open.append(kind)
                } else if !open.isEmpty {
                    open.removeLast()
                    if open.isEmpty { cut(at: after, quotes) }
                }
                index = after
                continue
            }
            index = next
        }
        cut(at: utf8.endIndex, open.isEmpty ? narrator : quotes)
        return merged(segments)
    }

    static func scriptSegments(_ text: String, narrator: String, speakers: [String: String]) -> [(text: String, voice: String)] {
        var segments: [(text: String, voice: String)] = []
        let lines = ScriptLine.lines(of: text)
        for (index, line) in lines.enumerated() {
            let ending = index + 1 < lines.count ? "\n" : ""
            if let speaker = line.speaker, let voice = speakers[speaker.name] {
                segments.append((String(speaker.words) + ending, voice))
            } else {
                segments.append((String(line.text) + ending, narrator))
            }
        }
        return merged(segments)
    }

    /// Lines of a script that look like a speaker's (`NAME: …`, the name in capitals, or any
    /// name that matches a speaker but for case) whose name `speakers` lacks: each such name
    /// once, with the 1-based line it first starts. They are read by the narrator, name and
    /// all, which is rarely what the writer meant.
    package static func unknownSpeakers(in text: String, speakers: [String: String]) -> [(name: String, line: Int)] {
        let known = Set(speakers.keys.map { $0.lowercased() })
        let found = ScriptLine.lines(of: text).enumerated().compactMap { index, line -> (name: String, line: Int)? in
            guard let name = line.speaker?.name, !name.isEmpty, name.count <= 32, speakers[name] == nil else { return nil }
            let shouted = name.contains(where: \.isUppercase) && !name.contains(where: \.isLowercase)
                && name.allSatisfy { $0.isLetter || $0.isNumber || " .'-".contains($0) }
            return shouted || known.contains(name.lowercased()) ? (name, index + 1) : nil
        }
        return found.uniqued { $0.name }
    }

    /// Neighbours in the same voice joined; whitespace-only pieces go to their neighbour.
    static func merged(_ segments: [(text: String, voice: String)]) -> [(text: String, voice: String)] {
        var result: [(text: String, voice: String)] = []
        for segment in segments where !segment.text.isEmpty {
            if let last = result.last, last.voice == segment.voice || segment.text.allSatisfy(\.isPureWhitespace) {
                result[result.count - 1].text += segment.text
            } else if let last = result.last, last.text.allSatisfy(\.isPureWhitespace) {
                result[result.count - 1] = (last.text + segment.text, segment.voice)
            } else {
                result.append(segment)
            }
        }
        return result
    }
}

/// One line of a script as `DialogueVoices` reads it: when it has a colon, the words before
/// the first one (trimmed) name a speaker, and the words after it (leading space dropped)
/// are what the speaker says; whether the script knows the name is for the caller.
struct ScriptLine {
    /// The line as written, without its line break.
    let text: Substring
    /// The speaker's name and words, when the line has a colon.
    let speaker: (name: String, words: Substring)?

    init(_ text: Substring) {
        self.text = text
        let body = text.drop { $0.isPureWhitespace }
        if let colon = body.firstIndex(of: ":") {
            speaker = (String(body[..<colon]).trimmingPureWhitespace(), body[body.index(after: colon)...].drop { $0.isPureWhitespace })
        } else {
            speaker = nil
        }
    }

    /// `text`'s lines, an empty line kept as one (the 1-based line numbers are the text's).
    static func lines(of text: String) -> [ScriptLine] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(ScriptLine.init)
    }
}
