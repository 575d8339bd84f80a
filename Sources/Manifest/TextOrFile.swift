import Files
import JSON
import ManifestDiagnostics
import Support

extension EntryReader {
    /// A field given inline (`key`: one template string or a list of them) or as a file
    /// (`fileKey`: read whole, its text taken literally, braces and all): the texts, and the
    /// file's path when it came from one. Both, neither, or an empty text are reported.
    package func textOrFile(
        _ key: String, file fileKey: String, limit: Int, empty: String, missing: String
    ) -> (texts: [Template], file: String?) {
        var texts: [Template] = []
        var file: String?
        switch (field(key), field(fileKey)) {
        case (let located?, nil):
            for (index, text) in (strings(key, what: key) ?? []).enumerated() {
                if text.trimmingWhitespace().isEmpty { report(located, index: index, value: .string(text), empty) }
                if let template = template(text, at: located, index: index) { texts.append(template) }
            }
        case (nil, let located?):
            if let name = string(fileKey, what: "a \(key) file path"),
                let (path, text) = InputFiles(entry: self).readText(name, at: located, what: "\(key) file", limit: limit)
            {
                texts.append(Template(literal: text))
                file = path
            }
        case (_?, _?):
            reportMissing(fileKey, "give either \(key) or \(fileKey), not both")
        case (nil, nil):
            reportMissing(key, missing)
        }
        return (texts, file)
    }
}
