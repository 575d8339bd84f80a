import FakeOpenRouter
import Foundation
import Media
import Narration
import Testing
import TestSupport

/// `chapters` and `book: true` (issue #17): the chapter files, their tags, the joined book's
/// CHAP/CTOC frames as ffprobe reads them, the playlist, and reruns that write nothing new.
@Suite struct ChapterTests {
    /// ffprobe's JSON for `arguments` on `path`.
    private func probe(_ path: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try runTool(try MediaToolHarness.locate("ffprobe"), ["-v", "error"] + arguments + ["-of", "json", path])
        try #require(result.status == 0, "ffprobe: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    private func tags(_ path: String) throws -> [String: String] {
        try #require((try probe(path, ["-show_entries", "format_tags"])["format"] as? [String: Any])?["tags"] as? [String: String])
    }

    private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func headingsOutsideCodeSplitTheTextAtTheChosenLevel() {
        let text = """
            A title page.

            # One
            First words.
            ```
            # not a heading, code
            ```
            ## One, part two ##
            More.
            #NotAHeading
            # Two #
            Last words.
            """
        let chapters = ChapterSplitter.split(text, level: nil)
        #expect(chapters.map(\.title) == ["One", "Two"])
        #expect(chapters[0].text.hasPrefix("A title page.\n\n# One\n"))
        #expect(chapters[0].text.contains("## One, part two ##\nMore.\n#NotAHeading"))
        #expect(chapters[1].text == "# Two #\nLast words.")
        #expect(ChapterSplitter.split(text, level: 2).map(\.title) == ["One", "One, part two", "Two"])
        #expect(ChapterSplitter.split("No headings at all.", level: nil) == [ChapterSplitter.Chapter(title: nil, text: "No headings at all.")])
    }

    @Test func eachHeadingChapterIsItsOwnTaggedMP3() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("story.md", """
            # The Lighthouse
            She climbed the stair again, counting the steps.

            ## A small part
            It was cold.

            # The Boat
            The tide would turn within the hour.

            # Home
            Far out on the water, a light blinked twice and went dark.
            """)
        folder.write("m.json", """
            {"name": "stories", "tasks": [{"id": "story", "type": "tts", "textFile": "story.md", "chapters": "headings",
              "title": "A Story", "output": "{chapter} {chapterTitle}"}]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(folder.files(under: "out/stories").filter { $0.hasSuffix(".mp3") } == ["01-The-Lighthouse.mp3", "02-The-Boat.mp3", "03-Home.mp3"])
        let tagsOne = try tags(folder.path + "/out/stories/01-The-Lighthouse.mp3")
        #expect(tagsOne["title"] == "The Lighthouse" && tagsOne["track"] == "1/3" && tagsOne["album"] == "A Story")
        let tagsThree = try tags(folder.path + "/out/stories/03-Home.mp3")
        #expect(tagsThree["title"] == "Home" && tagsThree["track"] == "3/3" && tagsThree["album"] == "A Story")
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/stories/02-The-Boat.mp3.json"))) as? [String: Any]
        let chapter = sidecar?["chapter"] as? [String: Any]
        #expect(chapter?["number"] as? Int == 2 && chapter?["total"] as? Int == 3 && chapter?["title"] as? String == "The Boat" && chapter?["book"] == nil)
        // One narration per chapter: no request holds words of two chapters; the heading is read
        // as a narrator says it (its words, not its marks).
        let inputs = server.requests().filter { $0.path == "/audio/speech" }.compactMap { $0.json()?["input"] as? String }
        #expect(inputs.count == 3)
        #expect(inputs.contains { $0.hasPrefix("The Lighthouse") && $0.contains("It was cold.") && !$0.contains("tide") }, "\(inputs)")
        #expect(!inputs.contains { $0.contains("#") }, "\(inputs)")
        #expect(!folder.files(under: "out/stories").contains { $0.contains("book") || $0.hasSuffix(".m3u") })
    }

    @Test func aBookJoinsItsChapterFilesWithChapterMarksAndAPlaylist() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("book/01-start.md", "# Setting Out\n\nThe road was long #fake:amplitude=0.05 and the morning cold, but they went on together.\n")
        folder.write("book/02-middle.md", "A heading-less chapter #fake:amplitude=0.1 told in a single plain paragraph of text.\n")
        folder.write("book/03-end.md", "# Coming Home\n\nAt last the lights #fake:amplitude=0.08 of the village showed through the trees, and the long journey was over for good.\n")
        folder.write("m.json", """
            {"name": "shelf", "tasks": [{"type": "tts", "textFile": "book/*.md", "book": true, "album": "The Road",
              "output": "road-{chapter}"}]}
            """)
        let first = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        try #require(first.status == 0, "\(first.stderr)")
        let out = folder.path + "/out/shelf/"
        #expect(folder.files(under: "out/shelf").filter { !$0.hasSuffix(".json") && $0 != "index.html" }
            == ["The-Road.m3u", "The-Road.mp3", "road-01.mp3", "road-02.mp3", "road-03.mp3"])
        let titles = ["Setting Out", "02-middle", "Coming Home"]
        let chapterFiles = try (1...3).map { try bytes(out + "road-0\($0).mp3") }
        for (index, title) in titles.enumerated() {
            let chapterTags = try tags(out + "road-0\(index + 1).mp3")
            #expect(chapterTags["title"] == title && chapterTags["track"] == "\(index + 1)/3" && chapterTags["album"] == "The Road")
        }

        // The book's audio is the chapters' frames, in order.
        let book = try bytes(out + "The-Road.mp3")
        #expect(frameSizes(book) == chapterFiles.flatMap(frameSizes))
        #expect(Array(book[MP3Frames.audioRegion(book)]) == (try MP3Joiner.join(chapterFiles)))
        #expect(try decodesCleanly(book, suffix: ".mp3"))

        // ffprobe lists the chapters, each starting within one frame of the sum of the
        // chapters before it (their durations as ffprobe measures the chapter files).
        let durations = try (1...3).map { try MediaToolHarness.probeDuration(URL(fileURLWithPath: out + "road-0\($0).mp3"), in: URL(fileURLWithPath: out)) }
        let chapters = try #require(try probe(out + "The-Road.mp3", ["-show_chapters"])["chapters"] as? [[String: Any]])
        #expect(chapters.count == 3)
        let frame = 576.0 / 24000
        var sum = 0.0
        for (index, chapter) in chapters.enumerated() {
            let start = try #require(Double(chapter["start_time"] as? String ?? ""))
            let end = try #require(Double(chapter["end_time"] as? String ?? ""))
            #expect(abs(start - sum) <= frame, "chapter \(index + 1) starts at \(start), the parts sum to \(sum)")
            sum += durations[index]
            #expect(abs(end - sum) <= frame, "chapter \(index + 1) ends at \(end), the parts sum to \(sum)")
            #expect((chapter["tags"] as? [String: String])?["title"] == titles[index])
        }
        #expect(try tags(out + "The-Road.mp3")["album"] == "The Road")

        // The playlist: each chapter file with its duration and title.
        let playlist = try String(contentsOfFile: out + "The-Road.m3u", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(playlist.first == "#EXTM3U" && playlist.count == 7)
        for index in 0..<3 {
            let info = playlist[1 + 2 * index]
            #expect(info.hasPrefix("#EXTINF:") && info.hasSuffix("," + titles[index]))
            let seconds = try #require(Double(info.dropFirst("#EXTINF:".count).split(separator: ",")[0]))
            #expect(abs(seconds - durations[index]) <= frame, "\(info) vs \(durations[index])")
            #expect(playlist[2 + 2 * index] == "road-0\(index + 1).mp3")
        }

        // A rerun with every chapter done writes nothing new, and sends nothing.
        let stamp = { try (FileManager.default.attributesOfItem(atPath: out + "The-Road.mp3")[.modificationDate] as? Date) }
        let before = try stamp()
        let sent = server.requests().count
        Thread.sleep(forTimeInterval: 1.1)
        let again = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(again.status == 0 && (again.stdout + again.stderr).contains("0 files written"), "\(again.stdout)\(again.stderr)")
        #expect(try stamp() == before)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == server.requests().prefix(sent).filter { $0.path == "/audio/speech" }.count)
        // A book lost after its chapters were done is joined again from them, buying nothing.
        try FileManager.default.removeItem(atPath: out + "The-Road.mp3")
        let rebuilt = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(rebuilt.status == 0)
        #expect(try bytes(out + "The-Road.mp3") == book)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 3)
        // An edited chapter is bought again alone, and the book follows it.
        folder.write("book/02-middle.md", "# The Middle\n\nA chapter now with a heading #fake:amplitude=0.1 and a longer paragraph that takes more time to read aloud.\n")
        let edited = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(edited.status == 0, "\(edited.stderr)")
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 4)
        let newBook = try bytes(out + "The-Road.mp3")
        let newChapters = try (1...3).map { try bytes(out + "road-0\($0).mp3") }
        #expect(newBook != book && frameSizes(newBook) == newChapters.flatMap(frameSizes))
        let newTitles = try #require(try probe(out + "The-Road.mp3", ["-show_chapters"])["chapters"] as? [[String: Any]]).map { ($0["tags"] as? [String: String])?["title"] }
        #expect(newTitles == ["Setting Out", "The Middle", "Coming Home"])
    }

    @Test func aBookWaitsForAllItsChapters() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("book.md", "# One\nThe first chapter is fine.\n\n# Two\nThe second is refused #fake:status=400 by the provider.\n")
        folder.write("m.json", #"{"name": "b", "tasks": [{"id": "b", "type": "tts", "textFile": "book.md", "chapters": 1, "book": true}]}"#)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status != 0)
        #expect(folder.files(under: "out/b").filter { $0.hasSuffix(".mp3") } == ["b-01.mp3"])
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/b/b.m3u"))
    }

    @Test func aBookNeverReplacesAFileItDidNotWrite() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("book.md", "# One\nThe first chapter.\n\n# Two\nThe second chapter.\n")
        folder.write("m.json", #"{"name": "b", "tasks": [{"id": "b", "type": "tts", "textFile": "book.md", "chapters": "headings", "book": true, "album": "mine"}]}"#)
        let mine = folder.write("out/b/mine.mp3", "my own recording")
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("exists and is not a book mediabatch wrote"), "\(result.stderr)")
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "my own recording")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/b/mine.m3u"))
        #expect(folder.files(under: "out/b").filter { $0.hasSuffix(".mp3") } == ["b-01.mp3", "b-02.mp3", "mine.mp3"])
    }

    @Test func booksThatWouldWriteOneFileAreRefusedBeforeAnythingIsSent() throws {
        // Issue 17, finding 5: two books with one album, and a book named like another
        // task's output, passed validation (the first wrote no book at all, with exit 0).
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("story.md", "# One\nThe first.\n\n# Two\nThe second.\n\n# Three\nThe third.\n")
        folder.write("m.json", """
            {"name": "m", "tasks": [
              {"id": "q", "type": "tts", "textFile": "story.md", "chapters": "headings", "book": true, "album": "Same"},
              {"id": "r", "type": "tts", "textFile": "story.md", "chapters": 2, "book": true,
               "album": "Same"},
              {"id": "s", "type": "tts", "textFile": "story.md", "chapters": 1, "book": true, "album": "Own"},
              {"id": "Own", "type": "tts", "text": "I would be Own.mp3"}
            ]}
            """)
        let validated = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(validated.status == 65)
        let sameAlbum = #"m.json:4: tasks[1].album = "Same": the book "Same" of task r-01 (m.json:3) would be written to the same file as the book of task q-01 (m.json:2); give each book its own album"#
        let taskOnBook = #"m.json:6: tasks[3].id = ""#
        #expect(validated.stderr.contains(sameAlbum), "\(validated.stderr)")
        #expect(validated.stderr.contains(taskOnBook) && validated.stderr.contains(#"task Own (m.json:6) would write the file of the book "Own" of task s-01 (m.json:5)"#), "\(validated.stderr)")
        // Told once per entry, not once per chapter.
        #expect(validated.stderr.components(separatedBy: "the same file as the book").count == 2, "\(validated.stderr)")
        let run = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(run.status == 65)
        #expect(server.requests().isEmpty)
    }

    @Test func chapterAndBookMistakesAreNamedAtTheirField() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("a.md", "# A\nText.")
        folder.write("m.json", """
            {"name": "m", "tasks": [
              {"id": "a", "type": "tts", "text": "One.", "book": true},
              {"id": "b", "type": "tts", "text": "Two.", "chapters": "files"},
              {"id": "c", "type": "tts", "text": "Three.", "chapters": 9},
              {"id": "d", "type": "tts", "textFile": "a.md", "chapters": "headings", "book": true, "format": "pcm"},
              {"id": "e", "type": "tts", "text": ["One.", "Two."], "chapters": "headings"},
              {"id": "f", "type": "tts", "textFile": "a.md", "chapters": "headings", "book": true, "voice": ["af_bella", "af_alloy"]}
            ]}
            """)
        let result = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(result.status == 65)
        for expected in [
            #"m.json:2: tasks[0].book = true: book: true needs chapters"#,
            #"m.json:3: tasks[1].chapters = "files": chapters "files" makes one chapter per file of a textFile pattern"#,
            #"m.json:4: tasks[2].chapters = 9: chapters must be "headings", a heading level from 1 to 6, or "files""#,
            #"m.json:5: tasks[3].book = true: a book is an mp3 with chapter marks"#,
            #"m.json:6: tasks[4].chapters = "headings": chapters split one text"#,
            #"m.json:7: tasks[5].book = true: book: true takes one text, model, voice and speed"#,
        ] {
            #expect(result.stderr.contains(expected), "missing \(expected) in \(result.stderr)")
        }
    }
}
