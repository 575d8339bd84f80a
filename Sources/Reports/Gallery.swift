import Dispatch
import Files
import JSON
import Journal
import Support

/// `index.html` in an output folder: every image as a thumbnail beside its prompt, model,
/// size and cost, an audio player for every narration with its text, and the failures with
/// their reasons. Static HTML and CSS, no script, no network: people review hundreds of
/// images by looking. Rebuilt from the journal (and the sidecars) at the end of each run.
public enum Gallery {
    public static func write(folder: String, journalPath: String) throws(FileError) {
        let index = try JournalIndex(path: journalPath)
        try FileIO.writeAtomically(Array(html(folder: folder, index: index).utf8), to: folder + "/index.html")
    }

    package static func html(folder: String, index: JournalIndex) -> String {
        var shown: [(file: JournalEntry.File, entry: JournalEntry)] = []
        var failures: [String] = []
        var totalCost = 0.0
        for key in index.order {
            guard let entry = index.entries[key] else { continue }
            switch entry.state {
            case .done:
                totalCost += entry.cost ?? 0
                for file in entry.files where !file.path.hasSuffix(".json") && !file.path.contains(".part-") {
                    shown.append((file, entry))
                }
            case .failed:
                let status = entry.status.map { "HTTP \($0): " } ?? ""
                failures.append("<li><b>\(escape(entry.taskID))</b> (\(escape(entry.kind ?? "failed"))) \(escape(status + (entry.message ?? "")))</li>")
            case .started:
                continue
            }
        }
        // Reading thousands of small sidecars is most of the work: on every core at once.
        let paths = shown.map { folder + "/" + $0.file.path + ".json" }
        let sidecars = Locked([JSON?](repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let value = sidecar(paths[index])
            sidecars.withLock { $0[index] = value }
        }
        let cards = sidecars.withLock { values in
            shown.indices.map { card(shown[$0].file, entry: shown[$0].entry, sidecar: values[$0]) }
        }
        let name = FileIO.lastComponent(folder)
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(name)) — mediabatch</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
            .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
            figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
            figure img{width:100%;height:auto;display:block;background:#eee}
            figcaption{margin-top:6px;font-size:12px;color:#444;overflow-wrap:anywhere}
            .meta{color:#777}audio{width:100%}.failed li{color:#a00}
            </style></head><body>
            <h1>\(escape(name))</h1>
            <p>\(cards.count) file\(cards.count == 1 ? "" : "s"), \(failures.count) failure\(failures.count == 1 ? "" : "s"), cost $\(String(format: "%.4f", totalCost)) · updated \(UTCTime.now())</p>
            <div class="grid">

            """
        page += cards.joined(separator: "\n")
        page += "\n</div>\n"
        if !failures.isEmpty { page += "<h2>Failures</h2>\n<ul class=\"failed\">\n" + failures.joined(separator: "\n") + "\n</ul>\n" }
        return page + "</body></html>\n"
    }

    private static func card(_ file: JournalEntry.File, entry: JournalEntry, sidecar: JSON?) -> String {
        let source = escape(percentEncoded(file.path))
        let model = sidecar?["model"]?.stringValue ?? ""
        let cost = entry.cost.map { String(format: " · $%.4f", $0) } ?? ""
        let size = file.size >= 1 << 20 ? String(format: "%.1f MiB", Double(file.size) / 1_048_576) : "\(file.size / 1024) KiB"
        let meta = "<div class=\"meta\">\(escape(entry.taskID)) · \(escape(model)) · \(size)\(cost)</div>"
        if file.path.hasSuffix(".mp3") || file.path.hasSuffix(".wav") {
            let text = sidecar?["text"]?.stringValue ?? ""
            return "<figure><audio controls preload=\"none\" src=\"\(source)\"></audio><figcaption>\(escape(String(text.prefix(600))))\(meta)</figcaption></figure>"
        }
        let prompt = sidecar?["prompt"]?.stringValue ?? ""
        return "<figure><a href=\"\(source)\"><img loading=\"lazy\" src=\"\(source)\" alt=\"\(escape(prompt))\"></a><figcaption>\(escape(prompt))\(meta)</figcaption></figure>"
    }

    private static func sidecar(_ path: String) -> JSON? {
        guard let bytes = try? FileIO.readAll(path, limit: 1 << 20) else { return nil }
        return try? JSONEncoding.parse(bytes, source: path)
    }

    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A relative path as a URL path: each segment percent-encoded where needed.
    package static func percentEncoded(_ path: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var out = ""
        for byte in path.utf8 {
            if allowed.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) } else { out += String(format: "%%%02X", byte) }
        }
        return out
    }
}
