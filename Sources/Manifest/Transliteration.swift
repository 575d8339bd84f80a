extension PortableName {
    /// Base letters of the accented letters of Latin-1 and Latin Extended-A, lower case.
    private static let groups: [(String, String)] = [
        ("àáâãäåāăą", "a"), ("æ", "ae"), ("çćĉċč", "c"), ("ďđð", "d"), ("èéêëēĕėęě", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"), ("ĳ", "ij"), ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņň", "n"), ("òóôõöøōŏő", "o"),
        ("œ", "oe"), ("ŕŗř", "r"), ("śŝşš", "s"), ("ß", "ss"), ("ţťŧ", "t"), ("þ", "th"), ("ùúûüũūŭůűų", "u"), ("ŵ", "w"),
        ("ýÿŷ", "y"), ("źżž", "z"),
    ]

    /// Each accented letter (both cases) mapped to its ASCII spelling.
    private static let table: [Unicode.Scalar: String] = {
        var table: [Unicode.Scalar: String] = [:]
        for (letters, base) in groups {
            for letter in letters {
                for scalar in letter.unicodeScalars { table[scalar] = base }
                for scalar in String(letter).uppercased().unicodeScalars where table[scalar] == nil { table[scalar] = base.uppercased() }
            }
        }
        table["İ"] = "I"
        table["Ÿ"] = "Y"
        return table
    }()

    /// `text` with accented Latin letters spelled in ASCII; other characters unchanged.
    static func transliterated(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.isASCII { out.append(scalar) } else if let ascii = table[scalar] { out.append(contentsOf: ascii.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
