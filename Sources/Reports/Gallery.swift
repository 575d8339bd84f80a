import Dispatch
import Files
import Glibc
import JSON
import Journal
import Support

/// `index.html` in an output folder: every image as a real thumbnail (a small JPEG under
/// `.mediabatch/thumbs/`, made once with libvips, see `Thumbnails`) beside its prompt,
/// pixel size, format, model, seed and cost; an audio player for every narration with its
/// voice, duration and text; the failures and refusals with their reasons. Static HTML and
/// CSS, no script, no network: people review hundreds of images by looking. Paged
/// (`pageSize` files a page: `index.html`, `page-2.html`, ...), so a folder of 10,000
/// images is fast to open. Rebuilt from the journal (and the sidecars) at the end of each run.
public enum Gallery {
    /// Files per page: each page stays well under 1 MB of HTML.
    package static let pageSize = 500

    public static func write(folder: String, journalPath: String) throws(FileError) {
        let index = try JournalIndex(path: journalPath)
        // Each page is written as soon as it is made: a folder of 100,000 images never holds
        // more than one page's sidecars, cards and HTML at a time.
        let (pageCount, thumbnails) = try render(folder: folder, index: index, pageSize: pageSize) { number, page throws(FileError) in
            try FileIO.writeAtomically(Array(page.utf8), to: folder + "/" + pageName(number))
        }
        // Pages of a larger gallery before: gone, so no stale page stays reachable by name.
        var stale = pageCount + 1
        while stale > 1, FileIO.exists(folder + "/" + pageName(stale)) {
            unlink(folder + "/" + pageName(stale))
            stale += 1
        }
        Thumbnails.sweep(folder: folder, keeping: thumbnails)
    }

    package static func pageName(_ number: Int) -> String { number == 1 ? "index.html" : "page-\(number).html" }

    /// The first page (what tests and small folders look at).
    package static func html(folder: String, index: JournalIndex) -> String {
        pages(folder: folder, index: index)[0]
    }

    package static func pages(folder: String, index: JournalIndex, pageSize: Int = Gallery.pageSize) -> [String] {
        var pages: [String] = []
        _ = try? render(folder: folder, index: index, pageSize: pageSize) { _, page throws(FileError) in pages.append(page) }
        return pages
    }

    /// Makes the pages one at a time and hands each to `emit` (numbered from 1); returns how
    /// many there were and the thumbnails they show (relative to the folder).
    private static func render(
        folder: String, index: JournalIndex, pageSize: Int, emit: (Int, String) throws(FileError) -> Void
    ) throws(FileError) -> (pageCount: Int, thumbnails: Set<String>) {
        var shown: [(file: JournalEntry.File, entry: JournalEntry)] = []
        var failures: [String] = []
        for key in index.order {
            guard let entry = index.entries[key] else { continue }
            switch entry.state {
            case .done:
                // Media only: not sidecars, narration parts or subtitles.
                for file in entry.files where !file.path.hasSuffix(".json") && !file.path.contains(".part-") && !file.path.hasSuffix(".srt") && !file.path.hasSuffix(".vtt") {
                    shown.append((file, entry))
                }
            case .failed:
                let status = entry.status.map { "HTTP \($0): " } ?? ""
                let kind = entry.kind == "refused" ? "refused" : entry.kind ?? "failed"
                failures.append("<li><b>\(escape(entry.taskID))</b> (\(escape(kind))) \(escape(status + (entry.message ?? "")))</li>")
            case .started:
                continue
            }
        }
        let name = FileIO.lastComponent(folder)
        let pageCount = max(1, (shown.count + pageSize - 1) / pageSize)
        let summary = "\(shown.count) file\(shown.count == 1 ? "" : "s"), \(failures.count) failure\(failures.count == 1 ? "" : "s"), "
            // What `status` says the folder spent: every paid record, failed attempts included.
            + "spent $\(String(format: "%.4f", index.spent)) · updated \(UTCTime.now())"
        var thumbnails = Set<String>()
        for number in 1...pageCount {
            let slice = Array(shown[min(shown.count, (number - 1) * pageSize)..<min(shown.count, number * pageSize)])
            // Reading the small sidecars and making thumbnails is most of the work: on every
            // core at once, a page at a time.
            let looked = Locked([(JSON?, Thumbnails.Thumbnail?)](repeating: (nil, nil), count: slice.count))
            DispatchQueue.concurrentPerform(iterations: slice.count) { index in
                let file = slice[index].file
                let value = sidecar(folder + "/" + file.path + ".json")
                let thumbnail = isAudio(file.path) || isVideo(file.path) ? nil : Thumbnails.thumbnail(folder: folder, file: file.path, sha256: file.sha256)
                looked.withLock { $0[index] = (value, thumbnail) }
            }
            let cards = looked.withLock { values in
                for value in values { if let path = value.1?.path { thumbnails.insert(path) } }
                return slice.indices.map { card(slice[$0].file, entry: slice[$0].entry, sidecar: values[$0].0, thumbnail: values[$0].1, folder: folder) }
            }
            var page = head(name) + "<h1>\(escape(name))</h1>\n<p>\(summary)</p>\n" + navigation(number, of: pageCount)
            page += "<div class=\"grid\">\n" + cards.joined(separator: "\n") + "\n</div>\n"
            if number == 1, !index.videoJobs.isEmpty {
                let items = index.videoJobs.keys.sorted().map { key -> String in
                    let job = index.videoJobs[key]!
                    let what = job.hasJob ? "video job \(job.jobID ?? "") running" : "submit of uncertain fate (its answer was lost)"
                    return "<li><b>\(escape(job.taskID))</b> \(escape(what))\(job.since.map { " since " + escape($0) } ?? "")</li>"
                }
                page += "<h2>Pending</h2>\n<ul>\n" + items.joined(separator: "\n") + "\n</ul>\n"
            }
            if number == 1, !failures.isEmpty { page += "<h2>Failures</h2>\n<ul class=\"failed\">\n" + failures.joined(separator: "\n") + "\n</ul>\n" }
            try emit(number, page + navigation(number, of: pageCount) + "</body></html>\n")
        }
        return (pageCount, thumbnails)
    }

    private static func head(_ name: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(name)) — mediabatch</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
        figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
        figure img{width:100%;height:auto;display:block;background:#eee}
        figcaption{margin-top:6px;font-size:12px;color:#444;overflow-wrap:anywhere}
        .meta{color:#777}.mismatch{color:#a60;font-weight:bold}audio,video{width:100%}.failed li{color:#a00}nav{margin:12px 0}nav a,nav b{margin-right:8px}
        </style></head><body>

        """
    }

    /// Links to every page, this one in bold; nothing for a single page.
    private static func navigation(_ number: Int, of count: Int) -> String {
        guard count > 1 else { return "" }
        let links = (1...count).map { $0 == number ? "<b>\($0)</b>" : "<a href=\"\(pageName($0))\">\($0)</a>" }
        return "<nav>page " + links.joined(separator: " ") + "</nav>\n"
    }

    private static func isAudio(_ path: String) -> Bool { path.hasSuffix(".mp3") || path.hasSuffix(".wav") }
    private static func isVideo(_ path: String) -> Bool { path.hasSuffix(".mp4") || path.hasSuffix(".mov") || path.hasSuffix(".webm") }

    /// `path` (absolute) as a link from `folder` (absolute): `../jobs/data/still.png`.
    package static func relativeLink(_ path: String, from folder: String) -> String {
        let target = path.split(separator: "/")
        let base = folder.split(separator: "/")
        var common = 0
        while common < min(target.count, base.count), target[common] == base[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + target[common...].map(String.init)).joined(separator: "/")
    }

    private static func card(_ file: JournalEntry.File, entry: JournalEntry, sidecar: JSON?, thumbnail: Thumbnails.Thumbnail?, folder: String) -> String {
        let source = escape(percentEncoded(file.path))
        let model = sidecar?["model"]?.stringValue ?? ""
        let cost = entry.cost.map { String(format: " · $%.4f", $0) } ?? ""
        let size = file.size >= 1 << 20 ? String(format: "%.1f MiB", Double(file.size) / 1_048_576) : "\(file.size / 1024) KiB"
        let format = file.path.split(separator: ".").last.map { $0.uppercased() } ?? ""
        if isVideo(file.path) {
            var details = [entry.taskID, model]
            if let seconds = sidecar?["durationSeconds"]?.doubleValue { details.append(duration(seconds)) }
            details.append(format + " " + size)
            let meta = "<div class=\"meta\">\(escape(details.joined(separator: " · ")))\(cost)</div>"
            let prompt = sidecar?["prompt"]?.stringValue ?? ""
            // The first-frame input as the poster, when the clip started from one.
            let poster = sidecar?["firstFramePath"]?.stringValue.map {
                // Relative to the folder; absolute in sidecars written before.
                " poster=\"\(escape(percentEncoded($0.hasPrefix("/") ? relativeLink($0, from: folder) : $0)))\""
            } ?? ""
            return "<figure><video controls preload=\"none\"\(poster) src=\"\(source)\"></video><figcaption>\(escape(prompt))\(meta)</figcaption></figure>"
        }
        if isAudio(file.path) {
            var details = [entry.taskID, model]
            if let voice = sidecar?["voice"]?.stringValue { details.append("voice " + voice) }
            if let seconds = sidecar?["seconds"]?.doubleValue { details.append(duration(seconds)) }
            details.append(format + " " + size)
            let meta = "<div class=\"meta\">\(escape(details.joined(separator: " · ")))\(cost)</div>"
            let text = sidecar?["text"]?.stringValue ?? ""
            return "<figure><audio controls preload=\"none\" src=\"\(source)\"></audio><figcaption>\(escape(String(text.prefix(600))))\(meta)</figcaption></figure>"
        }
        var details = [entry.taskID, model]
        if let width = thumbnail?.width, let height = thumbnail?.height { details.append("\(width)×\(height)") }
        details.append(format + " " + size)
        if let seed = sidecar?["parameters"]?["seed"]?.intValue { details.append("seed \(seed)") }
        var meta = "<div class=\"meta\">\(escape(details.joined(separator: " · ")))\(cost)</div>"
        if let mismatch = sidecar?["sizeMismatch"]?.stringValue {
            // A model that ignored a hint: what was asked beside what came back, in plain sight.
            meta += "<div class=\"mismatch\">\(escape(timesSign(mismatch)))</div>"
        }
        let prompt = sidecar?["prompt"]?.stringValue ?? ""
        let shown = thumbnail?.path.map { escape(percentEncoded($0)) } ?? source
        var dimensions = ""
        if let width = thumbnail?.width, let height = thumbnail?.height, width > 0, height > 0 {
            // The thumbnail's own size (the image scaled into the box), so the page does not jump as it loads.
            let scale = min(1, Double(Thumbnails.box) / Double(max(width, height)))
            dimensions = " width=\"\(max(1, Int((Double(width) * scale).rounded())))\" height=\"\(max(1, Int((Double(height) * scale).rounded())))\""
        }
        return "<figure><a href=\"\(source)\"><img loading=\"lazy\" src=\"\(shown)\"\(dimensions) alt=\"\(escape(prompt))\"></a><figcaption>\(escape(prompt))\(meta)</figcaption></figure>"
    }

    /// `1024x1024` → `1024×1024`: an `x` between digits only.
    static func timesSign(_ text: String) -> String {
        let characters = Array(text)
        var out = ""
        for (index, character) in characters.enumerated() {
            let between = character == "x" && index > 0 && index + 1 < characters.count && characters[index - 1].isASCII
                && characters[index - 1].isNumber && characters[index + 1].isASCII && characters[index + 1].isNumber
            out.append(between ? "×" : character)
        }
        return out
    }

    /// `83.4` → `1:23`.
    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return String(format: "%d:%02d", whole / 60, whole % 60)
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
