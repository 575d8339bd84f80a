/// Why a lexicon could not be read: the line and what is wrong with it.
public struct LexiconError: Error, Equatable, CustomStringConvertible {
    /// 1-based line of the lexicon file.
    public let line: Int
    public let message: String

    public var description: String { "line \(line): \(message)" }

    package init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// Every line of a lexicon that is not a rule, in file order: all are told at once.
public struct LexiconErrors: Error, Equatable {
    public let errors: [LexiconError]
}

/// A pronunciation lexicon: rules `term => respelling` applied to a narration's text before
/// it is chunked, so a name the voice gets wrong is fixed once for every text.
///
/// One rule per line; `#` starts a comment line; blank lines are skipped.
/// - `term => respelling`: the term as a whole word (or words), any case.
/// - `term => respelling [case]`: the same, matching the case exactly.
/// - `/pattern/ => replacement`: a regular expression (Swift Regex syntax, like PCRE), any
///   case unless `[case]`; `$1`...`$9` in the replacement insert its groups, `$0` the match.
/// Word rules apply together, in one pass (the longest term wins where two start at the same
/// place); then regular expressions apply in file order, each to the result of the one before.
public struct Lexicon: Sendable {
    /// A whole-word rule.
    struct WordRule: Sendable {
        let term: [Character]
        let folded: [String]
        let respelling: String
        let caseSensitive: Bool
        let line: Int
    }

    /// A regular-expression rule, kept as its source: `Regex` is built where it is used.
    struct PatternRule: Sendable {
        let pattern: String
        let replacement: String
        let caseSensitive: Bool
        let line: Int
    }

    let words: [WordRule]
    let patterns: [PatternRule]
    /// Word rules by the folded first character of their term.
    private let byFirst: [String: [Int]]
    /// The first UTF-8 bytes of the word rules' terms, in every case: where a term may start.
    private let firstBytes: [Bool]

    /// The number of rules.
    public var count: Int { words.count + patterns.count }

    /// Reads lexicon rules from `text`.
    /// - Throws: `LexiconErrors`, one for each line that is not a rule.
    public init(parsing text: String) throws(LexiconErrors) {
        var problems: [LexiconError] = []
        var words: [WordRule] = []
        var patterns: [PatternRule] = []
        var seen: [String: Int] = [:]
        // "\r\n" is one Character, a newline: CRLF files split as LF ones do.
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = offset + 1
            let rule = raw.drop { $0.isPureWhitespace }
            if rule.isEmpty || rule.hasPrefix("#") { continue }
            do throws(LexiconError) {
                // A pattern's arrow is the first after its closing slash ("/a=>b/ => c").
                let arrows = rule.ranges(of: "=>")
                let patternArrow = rule.hasPrefix("/") ? arrows.first { rule[..<$0.lowerBound].trimmingPureWhitespace().count >= 2 && rule[..<$0.lowerBound].trimmingPureWhitespace().hasSuffix("/") } : nil
                guard let arrow = patternArrow ?? arrows.first else {
                    throw LexiconError(line: line, message: "a rule is 'term => respelling' and this line has no '=>'")
                }
                var term = String(rule[..<arrow.lowerBound]).trimmingPureWhitespace()
                var respelling = String(rule[arrow.upperBound...]).trimmingPureWhitespace()
                var caseSensitive = false
                if respelling.hasSuffix("]"), let open = respelling.lastIndex(of: "[") {
                    let flag = respelling[respelling.index(after: open)..<respelling.index(before: respelling.endIndex)]
                    guard flag == "case" else {
                        throw LexiconError(line: line, message: "unknown flag [\(flag)]: the only flag is [case]")
                    }
                    caseSensitive = true
                    respelling = String(respelling[..<open]).trimmingPureWhitespace()
                }
                guard !term.isEmpty else { throw LexiconError(line: line, message: "the term before '=>' is empty") }
                guard !respelling.isEmpty else {
                    throw LexiconError(line: line, message: "the respelling after '=>' is empty (write how the term is said)")
                }
                let key = (caseSensitive ? "c:" : "i:") + (caseSensitive ? term : term.lowercased())
                if let first = seen[key] {
                    throw LexiconError(line: line, message: "'\(term)' already has a rule on line \(first)")
                }
                seen[key] = line
                if term.count >= 2, term.hasPrefix("/"), term.hasSuffix("/") {
                    term = String(term.dropFirst().dropLast())
                    do {
                        let regex = try Regex(term)
                        if (try? regex.wholeMatch(in: "")) != nil {
                            throw LexiconError(line: line, message: "the pattern /\(term)/ matches empty text")
                        }
                    } catch let error as LexiconError {
                        throw error
                    } catch {
                        throw LexiconError(line: line, message: "the pattern /\(term)/ is not a valid regular expression: \(error)")
                    }
                    patterns.append(PatternRule(pattern: term, replacement: respelling, caseSensitive: caseSensitive, line: line))
                } else {
                    let chars = Array(term)
                    words.append(WordRule(term: chars, folded: chars.map { String($0).lowercased() }, respelling: respelling, caseSensitive: caseSensitive, line: line))
                }
            } catch {
                problems.append(error)
            }
        }
        if !problems.isEmpty { throw LexiconErrors(errors: problems) }
        var byFirst: [String: [Int]] = [:]
        for (index, rule) in words.enumerated() { byFirst[rule.folded[0], default: []].append(index) }
        for key in byFirst.keys { byFirst[key]?.sort { words[$0].term.count > words[$1].term.count } }
        self.words = words
        self.patterns = patterns
        self.byFirst = byFirst
        var firstBytes = [Bool](repeating: false, count: 256)
        for rule in words {
            let first = String(rule.term[0])
            for variant in [first, first.lowercased(), first.uppercased()] {
                if let byte = variant.utf8.first { firstBytes[Int(byte)] = true }
            }
        }
        self.firstBytes = firstBytes
    }

    /// `text` with every rule applied.
    public func apply(to text: String) -> String { apply(to: [text])[0] }

    /// Each of `texts` with every rule applied (the patterns compiled once for all).
    public func apply(to texts: [String]) -> [String] {
        var results = words.isEmpty ? texts : texts.map(applyWords)
        for rule in patterns {
            guard var regex = try? Regex(rule.pattern) else { continue }
            if !rule.caseSensitive { regex = regex.ignoresCase() }
            results = results.map { Self.apply(rule, regex, to: $0) }
        }
        return results
    }

    /// All word rules in one pass: a byte table finds where a term may start (its first
    /// character's first UTF-8 byte, in any case), and only there are Characters compared.
    private func applyWords(_ text: String) -> String {
        let utf8 = text.utf8
        var out = ""
        var copied = text.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard firstBytes[Int(utf8[index])], let start = String.Index(index, within: text) else {
                index = utf8.index(after: index)
                continue
            }
            let previous = start > text.startIndex ? text[text.index(before: start)] : nil
            if let candidates = byFirst[String(text[start]).lowercased()],
                let (rule, end) = candidates.lazy.compactMap({ self.match(self.words[$0], in: text, at: start, after: previous) }).first
            {
                out += text[copied..<start]
                out += rule.respelling
                copied = end
                index = end
                continue
            }
            index = utf8.index(after: index)
        }
        out += text[copied...]
        return out
    }

    /// Where `rule` matches `text` at `start` as a whole word, its end.
    private func match(_ rule: WordRule, in text: String, at start: String.Index, after previous: Character?) -> (WordRule, String.Index)? {
        var index = start
        for offset in 0..<rule.term.count {
            guard index < text.endIndex else { return nil }
            let char = text[index]
            if rule.caseSensitive ? char != rule.term[offset] : String(char).lowercased() != rule.folded[offset] { return nil }
            index = text.index(after: index)
        }
        // Whole words: no letter or digit continues the term on either side (where the
        // term itself begins or ends with one).
        if let previous, rule.term[0].isWordCharacter, previous.isWordCharacter { return nil }
        if index < text.endIndex, rule.term[rule.term.count - 1].isWordCharacter, text[index].isWordCharacter { return nil }
        return (rule, index)
    }

    private static func apply(_ rule: PatternRule, _ regex: Regex<AnyRegexOutput>, to text: String) -> String {
        var out = ""
        var last = text.startIndex
        for match in text.matches(of: regex) where !match.range.isEmpty {
            out += text[last..<match.range.lowerBound]
            out += expand(rule.replacement, match)
            last = match.range.upperBound
        }
        out += text[last...]
        return out
    }

    /// The replacement with `$0`...`$9` filled from the match (`$$` is a dollar sign).
    private static func expand(_ replacement: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        guard replacement.contains("$") else { return replacement }
        var out = ""
        var chars = replacement.makeIterator()
        while let char = chars.next() {
            guard char == "$" else {
                out.append(char)
                continue
            }
            guard let next = chars.next() else {
                out.append("$")
                break
            }
            if next == "$" {
                out.append("$")
            } else if let digit = next.wholeNumberValue, digit < match.output.count {
                if let group = match.output[digit].substring { out += group }
            } else {
                out.append("$")
                out.append(next)
            }
        }
        return out
    }
}

extension Character {
    /// A letter, digit or underscore: what continues a word.
    var isWordCharacter: Bool { isLetter || isNumber || self == "_" }
}

extension StringProtocol {
    func trimmingPureWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first.isPureWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isPureWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
