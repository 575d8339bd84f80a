import FakeOpenRouter
import Foundation
import Journal
import Testing
import TestSupport

@testable import Reports

/// Issue 16, the gallery: real thumbnails made once, pixel size, format, seed, a narration's
/// voice and duration, and pages.
@Suite struct GalleryThumbnailTests {
    /// Issue 13, one spent figure: the gallery says what `status` says the folder spent,
    /// paid failed attempts included (it counted only the done tasks' costs).
    @Test func theGallerysFigureCountsPaidFailedAttempts() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let journal = try Journal(folder: folder.path, shard: nil)
        try journal.billed(key: "k", taskID: "t", cost: 0.02, generationID: "gen-1", attempt: 1, reason: "transfer broke off")
        try journal.done(key: "k", taskID: "t", files: [], cost: 0.039, generationID: "gen-2", attempts: 2, seconds: 1)
        let index = try JournalIndex(path: Journal.path(folder: folder.path, shard: nil))
        let page = Gallery.html(folder: folder.path, index: index)
        #expect(page.contains("spent $0.0590"), "\(page.prefix(800))")
    }

    /// Width and height from a PNG's IHDR.
    private func pngSize(_ path: String) throws -> (Int, Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func big(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (big(16), big(20))
    }

    @Test func imagesShowSmallThumbnailsMadeOnceWithTheirSizeAndNarrationsTheirVoiceAndDuration() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = """
            {"name": "g", "tasks": [
              {"id": "fox", "prompt": "a fox", "model": "google/gemini-2.5-flash-image", "api": "images", "seed": 42},
              {"id": "say", "type": "tts", "text": "Narration text here, long enough to last a moment.", "voice": "af_bella"}
            ]}
            """
        let summary = try runAgainst(server, manifest: manifest, in: folder)
        #expect(summary.done == 2)
        let base = folder.path + "/out/g/"
        let html = try String(contentsOfFile: base + "index.html", encoding: .utf8)
        let thumbs = folder.allFiles(under: "out/g/.mediabatch/thumbs")
        try #require(thumbs.count == 1, "\(thumbs)")
        let thumb = base + ".mediabatch/thumbs/" + thumbs[0]
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: thumb)))
        #expect(jpeg.prefix(3) == [0xFF, 0xD8, 0xFF], "not a JPEG")
        // The JPEG's frame header (SOF0/SOF2): the thumbnail fits the 480-pixel box.
        let frame = try #require(jpeg.indices.dropLast(9).first { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC0 || jpeg[$0 + 1] == 0xC2) })
        let thumbHeight = Int(jpeg[frame + 5]) << 8 | Int(jpeg[frame + 6]), thumbWidth = Int(jpeg[frame + 7]) << 8 | Int(jpeg[frame + 8])
        #expect(html.contains("src=\".mediabatch/thumbs/\(thumbs[0])\""))
        #expect(html.contains("href=\"fox.png\""))
        let (width, height) = try pngSize(base + "fox.png")
        #expect(html.contains("\(width)×\(height) · PNG"), "\(html)")
        #expect(max(width, height) > 480 && max(thumbWidth, thumbHeight) == 480, "\(thumbWidth)×\(thumbHeight) of \(width)×\(height)")
        #expect(html.contains("seed 42"))
        #expect(html.contains("voice af_bella"))
        #expect(html.contains(#/voice af_bella · \d+:\d\d · MP3/#), "no duration")

        // Made once: a later gallery keeps the same file.
        let before = try FileManager.default.attributesOfItem(atPath: thumb)[.systemFileNumber] as? Int
        try FileManager.default.removeItem(atPath: base + "index.html")
        // A thumbnail of an image gone, and the temp file of a run killed while writing one.
        folder.write("out/g/.mediabatch/thumbs/" + String(repeating: "0", count: 32) + ".jpg", "old")
        folder.write("out/g/.mediabatch/thumbs/" + thumbs[0] + ".tmp-2147483000-7.jpg", "torn")
        _ = try runAgainst(server, manifest: manifest, in: folder)
        #expect(folder.allFiles(under: "out/g/.mediabatch/thumbs") == thumbs, "stale thumbnails stay")
        #expect(FileManager.default.fileExists(atPath: base + "index.html"))
        #expect(try FileManager.default.attributesOfItem(atPath: thumb)[.systemFileNumber] as? Int == before)
    }

    @Test func aLargeGalleryIsPaged() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let records = (1...5).map { number in
            #"{"event":"done","key":"k\#(number)","task":"t\#(number)","files":[{"path":"t\#(number).png","size":10,"sha256":"\#(String(repeating: "a", count: 63))\#(number)"}]}"#
        }
        folder.write("g/.mediabatch/journal.jsonl", records.joined(separator: "\n") + "\n")
        let index = try JournalIndex(path: folder.path + "/g/.mediabatch/journal.jsonl")
        let pages = Gallery.pages(folder: folder.path + "/g", index: index, pageSize: 2)
        #expect(pages.count == 3)
        #expect(pages[0].contains("href=\"t1.png\"") && pages[0].contains("href=\"t2.png\"") && !pages[0].contains("t3.png"))
        #expect(pages[2].contains("href=\"t5.png\""))
        #expect(pages[1].contains("<a href=\"index.html\">1</a> <b>2</b> <a href=\"page-3.html\">3</a>"))
    }
}
