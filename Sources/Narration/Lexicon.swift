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

    /// The number of rules.
    public var count: Int { words.count + patterns.count }

    /// Reads lexicon rules from `text`.
    /// - Throws: `LexiconError` for the first line that is not a rule.
    public init(parsing text: String) throws(LexiconError) {
        var words: [WordRule] = []
        var patterns: [PatternRule] = []
        var seen: [String: Int] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            var rule = Substring(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            rule = rule.drop { $0.isPureWhitespace }
            if rule.isEmpty || rule.hasPrefix("#") { continue }
            guard let arrow = rule.firstRange(of: "=>") else {
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
        }
        var byFirst: [String: [Int]] = [:]
        for (index, rule) in words.enumerated() { byFirst[rule.folded[0], default: []].append(index) }
        for key in byFirst.keys { byFirst[key]?.sort { words[$0].term.count > words[$1].term.count } }
        self.words = words
        self.patterns = patterns
        self.byFirst = byFirst
    }

    /// `text` with every rule applied.
    public func apply(to text: String) -> String {
        var result = words.isEmpty ? text : applyWords(text)
        for rule in patterns { result = Self.apply(rule, to: result) }
        return result
    }

    private func applyWords(_ text: String) -> String {
        let chars = Array(text)
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var copied = 0
        var index = 0
        while index < chars.count {
            let atWordStart = index == 0 || !chars[index - 1].isWordCharacter || !chars[index].isWordCharacter
            if atWordStart, let candidates = byFirst[String(chars[index]).lowercased()],
                let rule = candidates.lazy.map({ self.words[$0] }).first(where: { Self.matches($0, chars, at: index) })
            {
                out.append(contentsOf: String(chars[copied..<index]))
                out.append(rule.respelling)
                index += rule.term.count
                copied = index
                continue
            }
            index += 1
        }
        out.append(contentsOf: String(chars[copied...]))
        return out
    }

    private static func matches(_ rule: WordRule, _ chars: [Character], at start: Int) -> Bool {
        let end = start + rule.term.count
        guard end <= chars.count else { return false }
        for offset in 0..<rule.term.count {
            let char = chars[start + offset]
            if rule.caseSensitive ? char != rule.term[offset] : String(char).lowercased() != rule.folded[offset] { return false }
        }
        // Whole words: no letter or digit continues the term on either side (where the
        // term itself begins or ends with one).
        if start > 0, rule.term[0].isWordCharacter, chars[start - 1].isWordCharacter { return false }
        if end < chars.count, rule.term[rule.term.count - 1].isWordCharacter, chars[end].isWordCharacter { return false }
        return true
    }

    private static func apply(_ rule: PatternRule, to text: String) -> String {
        guard var regex = try? Regex(rule.pattern) else { return text }
        if !rule.caseSensitive { regex = regex.ignoresCase() }
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

extension String {
    func trimmingPureWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isPureWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isPureWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
