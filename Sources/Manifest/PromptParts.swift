import Files
import JSON
import ManifestDiagnostics
import Support

/// An image entry's prompt: `prompt` (a template or a list of them) or `promptFile` (a UTF-8
/// file relative to the manifest, sent as written), with the house style of `prefix` and
/// `suffix` (templates, usually in `defaults.image`) joined to it with a space.
package struct PromptParts {
    package var prompts: [Template] = []
    package var prefix: Template?
    package var suffix: Template?
    /// The file the prompt came from, if any.
    package var promptFile: String?

    /// The largest prompt file read.
    package static let maxFileBytes = 1 << 20

    package init(entry: EntryReader) {
        (prompts, promptFile) = entry.textOrFile(
            "prompt", file: "promptFile", limit: Self.maxFileBytes, empty: "a prompt may not be empty",
            missing: "missing: an image task needs a prompt (or a promptFile)")
        prefix = template("prefix", entry: entry)
        suffix = template("suffix", entry: entry)
    }

    private func template(_ key: String, entry: EntryReader) -> Template? {
        guard let located = entry.field(key), let text = entry.string(key, what: "a prompt \(key)") else { return nil }
        return entry.template(text, at: located)
    }

    /// Templates whose variables the entry must know, with the field each is in.
    package var templates: [(Template, String)] {
        prompts.map { ($0, "prompt") } + [prefix.map { ($0, "prefix") }, suffix.map { ($0, "suffix") }].compactMap { $0 }
    }

    /// Prompt `index` with `values` filled in, between the prefix and the suffix.
    package func render(_ index: Int, _ values: [String: String]) -> String {
        guard prefix != nil || suffix != nil else { return prompts[index].render(values) }
        return [prefix?.render(values), prompts[index].render(values), suffix?.render(values)]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

extension InputFiles {
    /// A UTF-8 text file named relative to the manifest: its resolved path and text, or nil
    /// (reported: missing, outside, too large, not UTF-8 with the first bad byte's offset, empty).
    package func readText(_ name: String, at located: Located, what: String, limit: Int) -> (String, String)? {
        guard let path = resolve(name, at: located, index: nil, what: what, limit: limit) else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path, limit: limit) } catch {
            entry.report(located, error.description)
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            entry.report(located, "the \(what) is not valid UTF-8 (first bad byte at offset \(CSVScanner.invalidOffset(bytes, from: 0, to: bytes.count)))")
            return nil
        }
        guard !text.trimmingWhitespace().isEmpty else {
            entry.report(located, "the \(what) is empty")
            return nil
        }
        return (path, text)
    }
}
