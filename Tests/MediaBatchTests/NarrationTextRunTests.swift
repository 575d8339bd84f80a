import FakeOpenRouter
import Foundation
import Narration
import Testing
import TestSupport

/// Text made for speaking, end to end through the real binary against the fake: what the
/// voice is sent (no markup, respelled, in the right voice), what an edited lexicon costs,
/// the joined audio's timeline and the subtitles beside it.
@Suite struct NarrationTextRunTests {
    typealias Tool = MediaToolHarness

    /// The `/audio/speech` requests the fake saw (after the first `skip`), as (input, voice).
    private func speech(_ server: FakeOpenRouterServer, skip: Int = 0) -> [(input: String, voice: String)] {
        server.requests().filter { $0.path == "/audio/speech" }.dropFirst(skip).compactMap { request in
            guard let body = request.json(), let input = body["input"] as? String, let voice = body["voice"] as? String else { return nil }
            return (input, voice)
        }
    }

    private func run(_ server: FakeOpenRouterServer, in folder: TempFolder, _ extra: [String] = []) throws -> ProcessResult {
        try runCLI(runArguments(server, extra), environment: runEnvironment, in: folder.path)
    }

    private func squeeze(_ text: String) -> String { text.filter { !$0.isWhitespace } }

    @Test func aMarkdownChapterWithEveryConstructSendsNoMarkup() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let filler = (1...6).map { "Paragraph \($0) of *the long night*, with [a link](https://x.test/\($0)) and more words to make the chapter longer than one chunk." }
        let chapter = everyConstructMarkdown + "\n\n## Later\n\n" + filler.joined(separator: "\n\n") + "\n"
        folder.write("chapter.md", chapter)
        folder.write("m.json", #"{"name": "book", "tasks": [{"id": "ch", "type": "tts", "textFile": "chapter.md", "voice": "af_bella", "maxChars": 150}]}"#)
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")

        let inputs = speech(server).map(\.input)
        #expect(inputs.count >= 4)
        for input in inputs {
            for mark in ["#", "*", "`", "[", "](", "|", "<", ">", "---", "~~", "&amp;", "https://", "never said"] {
                #expect(!input.contains(mark), "\(mark) sent in \(input)")
            }
        }
        // Everything said, in order, is the converted text; the sidecar keeps it whole.
        let spoken = MarkdownSpeech.spoken(chapter)
        #expect(squeeze(inputs.joined()).count == squeeze(spoken).count)
        let laidOut = SpokenText(chapter, options: .init(markdown: true))
        let chars = Array(laidOut.text)
        let expected = NarrationSplitter.spans(chars, maxChars: 150, keeping: .none, layout: SplitLayout(headings: laidOut.headings)).map { String(chars[$0]) }
        #expect(inputs.sorted() == expected.sorted())
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/book/ch.mp3.json"))) as? [String: Any]
        #expect(sidecar?["text"] as? String == spoken)
        // A heading is never cut, and never ends a chunk that text follows.
        let headings = MarkdownSpeech.headings(chapter).map { $0.title + "." }
        #expect(headings == ["Chapter Seven.", "8. Morning.", "Setext Heading.", "Later."])
        for heading in headings {
            let holders = inputs.filter { $0.contains(heading) }
            #expect(holders.count == 1, "\(heading) in \(holders)")
            #expect(holders.allSatisfy { $0.hasPrefix(heading) || !$0.hasSuffix(heading) })
        }
        #expect(inputs.contains { $0.hasPrefix("Later.") })
    }

    @Test func aLexiconRespellsAndAnEditedRuleRebuysOnlyItsChunks() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let paragraphs = (1...12).map { index in
            index % 4 == 0
                ? "In part \(index), Nguyen walked to the harbour and waited for the ferry that never came."
                : "In part \(index), the keeper walked to the harbour and waited for the ferry that never came."
        }
        folder.write("story.txt", paragraphs.joined(separator: "\n\n"))
        folder.write("names.lex", "# how names are said\nNguyen => Wynn-ooh\n/ferr(y|ies)/ => fare-ee [case]\n")
        folder.write("m.json", #"{"name": "lex", "tasks": [{"id": "story", "type": "tts", "textFile": "story.txt", "lexicon": "names.lex", "maxChars": 100}]}"#)
        let first = try run(server, in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let sent = speech(server).map(\.input)
        #expect(sent.count == 12)
        #expect(!sent.contains { $0.contains("Nguyen") || $0.contains("ferry") })
        let withName = sent.filter { $0.contains("Wynn-ooh") }
        #expect(withName.count == 3)
        #expect(sent.allSatisfy { $0.contains("fare-ee") })

        // One rule edited: only the chunks with that term are bought again.
        folder.write("names.lex", "# how names are said\nNguyen => Win\n/ferr(y|ies)/ => fare-ee [case]\n")
        let second = try run(server, in: folder)
        #expect(second.status == 0, "\(second.stderr)")
        let rebought = speech(server, skip: sent.count).map(\.input)
        #expect(rebought.count == withName.count)
        #expect(rebought.allSatisfy { $0.contains("Win walked") })
    }

    @Test func quotedSpeechAlternatesVoicesInOneContinuousFile() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let text = "The keeper looked up and said, \"The lamp is lit.\" Then she climbed the stair. “Not yet,” he called from below. She did not answer."
        folder.write("m.json", """
            {"name": "talk", "tasks": [{"id": "scene", "type": "tts", "text": \(jsonString(text)), "voice": "af_bella",
              "dialogue": {"quotes": "am_adam"}, "keepChunks": true}]}
            """)
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let sent = speech(server)
        // Quoted speech goes in the second voice (a closing quote ends its stretch).
        let byInput = Dictionary(sent.map { ($0.input, $0.voice) }, uniquingKeysWith: { first, _ in first })
        #expect(sent.count == 5)
        #expect(byInput["The keeper looked up and said,"] == "af_bella")
        #expect(byInput["\"The lamp is lit.\""] == "am_adam")
        #expect(byInput["Then she climbed the stair."] == "af_bella")
        #expect(byInput["“Not yet,”"] == "am_adam")
        #expect(byInput["he called from below. She did not answer."] == "af_bella")

        // One file, one timeline: the parts' durations add up to the joined file's.
        let directory = URL(fileURLWithPath: folder.path + "/out/talk")
        let parts = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".part-") }.sorted()
        #expect(parts.count == 5)
        let partSeconds = try parts.map { try Tool.probeDuration(directory.appendingPathComponent($0), in: directory) }.reduce(0, +)
        let joined = directory.appendingPathComponent("scene.mp3")
        let joinedSeconds = try Tool.probeDuration(joined, in: directory)
        #expect(abs(joinedSeconds - partSeconds) <= 0.024 + 1e-6, "joined \(joinedSeconds) s, parts \(partSeconds) s")
        let decode = try Tool.run("mpg123", ["-t", "-q", joined.path], in: directory)
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")

        // gc knows every chunk of the dialogue is needed, whichever voice it is in.
        let gc = try runCLI(["gc", "m.json", "--output-root", "out"], environment: runEnvironment, in: folder.path)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stderr.contains("would remove 0 files") || !gc.stdout.contains(".mp3"), "\(gc.stdout)\(gc.stderr)")
        #expect(!gc.stdout.contains("chunks/"), "\(gc.stdout)")

        // The plan counts the requests the run makes: one per voice stretch.
        try? FileManager.default.removeItem(atPath: folder.path + "/out")
        let plan = try runCLI(["plan", "m.json", "-o", "out"], environment: runEnvironment, in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("af_bella+am_adam"), "\(plan.stdout)")
        #expect(plan.stdout.contains("in 5 chunks"), "\(plan.stdout)")
    }

    @Test func aScriptLineWhoseSpeakerTheScriptDoesNotNameIsWarnedOfWithItsLine() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("scene.txt", "ALICE: Who is there?\nBOB: Only me.\nAlice: Again?\nThe end: of the story.\nALICE: Goodnight.\n")
        folder.write("m.json", """
            {"name": "talk", "tasks": [{"id": "scene", "type": "tts", "textFile": "scene.txt", "voice": "af_bella",
              "dialogue": {"script": {"ALICE": "am_adam"}}}]}
            """)
        for command in [["validate", "m.json"], ["plan", "m.json", "-o", "out"]] {
            let result = try runCLI(command, environment: runEnvironment, in: folder.path)
            #expect(result.status == 0, "\(result.stderr)")
            let warnings = result.stderr.split(separator: "\n").filter { $0.contains("a speaker the script does not name") }
            // BOB (not in the script) and Alice (ALICE but for case), each with its line; never
            // ALICE, nor a sentence that happens to hold a colon.
            #expect(warnings.count == 2, "\(command[0]): \(result.stderr)")
            #expect(warnings.contains { $0.contains("m.json:2: tasks[0].dialogue") && $0.contains("line 2 of scene.txt starts \"BOB:\"") }, "\(result.stderr)")
            #expect(warnings.contains { $0.contains("line 3 of scene.txt starts \"Alice:\"") }, "\(result.stderr)")
        }
        // The run goes on, and reads those lines in the narrator's voice, names and all.
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("starts \"BOB:\""), "\(result.stderr)")
        #expect(speech(server).contains { $0.voice == "af_bella" && $0.input.contains("BOB: Only me.") }, "\(speech(server))")
    }

    @Test func aScriptGivesEachSpeakerTheirVoice() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("scene.txt", "The hall was quiet.\nALICE: Who is there?\nBOB: Only me, the keeper.\nALICE: Then come in.\n")
        folder.write("m.json", #"{"name": "play", "tasks": [{"id": "scene", "type": "tts", "textFile": "scene.txt", "dialogue": {"narrator": "bf_emma", "script": {"ALICE": "af_bella", "BOB": "am_adam"}}}]}"#)
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let sent = speech(server)
        #expect(Set(sent.map { "\($0.voice): \($0.input)" }) == [
            "bf_emma: The hall was quiet.", "af_bella: Who is there?", "am_adam: Only me, the keeper.", "af_bella: Then come in.",
        ])
        // The sidecar and the ID3 artist name the narrator who spoke, never the task's
        // default voice, which did not (issue 17, finding 11).
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/play/scene.mp3.json"))) as? [String: Any])
        #expect(sidecar["voice"] as? String == "bf_emma", "\(sidecar)")
        #expect(sidecar["voices"] as? [String] == ["bf_emma", "af_bella", "am_adam"], "\(sidecar)")
        let probe = try runTool(try MediaToolHarness.locate("ffprobe"), ["-v", "error", "-show_entries", "format_tags=artist", "-of", "csv=p=0", folder.path + "/out/play/scene.mp3"])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "bf_emma", "\(probe.stdout)")
    }

    @Test func subtitlesEndWithTheAudioAndNeverOverlap() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("chapter.txt", chapterText(characters: 3000))
        folder.write("m.json", #"{"name": "subs", "tasks": [{"id": "a", "type": "tts", "textFile": "chapter.txt", "maxChars": 500, "subtitles": "srt"}, {"id": "b", "type": "tts", "text": "One sentence. And another one, a little longer.", "subtitles": "vtt"}, {"id": "c", "type": "tts", "text": "Raw audio here. Then a second sentence follows it. A third one comes after that, longer than the others were.", "format": "pcm", "maxChars": 100, "subtitles": "vtt", "model": "openrouter/openai/gpt-4o-mini-tts-2025-12-15", "voice": "nova"}]}"#)
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let directory = URL(fileURLWithPath: folder.path + "/out/subs")
        #expect(folder.files(under: "out/subs").filter { !$0.hasSuffix(".json") } == ["a.mp3", "a.srt", "b.mp3", "b.vtt", "c.vtt", "c.wav"])

        for (name, separator, audio) in [("a", ",", "mp3"), ("b", ".", "mp3"), ("c", ".", "wav")] {
            let file = try String(contentsOf: directory.appendingPathComponent(name + (separator == "," ? ".srt" : ".vtt")), encoding: .utf8)
            if separator == "." { #expect(file.hasPrefix("WEBVTT\n\n")) }
            let times = file.split(separator: "\n").filter { $0.contains(" --> ") }.map { line -> (Double, Double) in
                let ends = line.components(separatedBy: " --> ").map { stamp -> Double in
                    let parts = stamp.replacingOccurrences(of: separator, with: ":").split(separator: ":").compactMap { Double($0) }
                    return parts[0] * 3600 + parts[1] * 60 + parts[2] + parts[3] / 1000
                }
                return (ends[0], ends[1])
            }
            #expect(times.count >= (name == "a" ? 40 : name == "b" ? 2 : 3))
            #expect(times.first?.0 == 0)
            for (cue, next) in zip(times, times.dropFirst()) {
                #expect(cue.0 < cue.1 && cue.1 <= next.0, "\(cue) then \(next)")
            }
            let duration = try Tool.probeDuration(directory.appendingPathComponent(name + "." + audio), in: directory)
            #expect(abs((times.last?.1 ?? 0) - duration) <= 0.002, "last cue ends \(times.last?.1 ?? 0), audio \(duration)")
        }
        // The journal's done record names the subtitle file with the audio.
        let journal = JournalLines(path: folder.path + "/out/subs/.mediabatch/journal.jsonl")
        let files = journal.records("done").flatMap { ($0["files"] as? [Any] ?? []).map { "\($0)" } }
        #expect(files.contains { $0.contains("a.srt") } && files.contains { $0.contains("b.vtt") })
    }

    @Test func aDialogueVoiceTheModelLacksIsRefusedBeforeAnythingIsSent() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", """
            {"name": "talk", "tasks": [
              {"id": "scene", "type": "tts", "text": "He said, \\"Hello.\\"", "voice": "af_bella",
               "dialogue": {"quotes": "nova"}},
              {"id": "play", "type": "tts", "text": "ANN: Hi.", "voice": "af_bella",
               "dialogue": {"script": {"ANN": "am_adam", "BOB": "shimmer"}}}
            ]}
            """)
        let result = try run(server, in: folder)
        #expect(result.status == 65, "\(result.stderr)")
        // The field that names the voice (issue 17, finding 10).
        #expect(result.stderr.contains("m.json:3: tasks[0].dialogue.quotes = \"nova\""), "\(result.stderr)")
        #expect(result.stderr.contains("m.json:5: tasks[1].dialogue.script.BOB = \"shimmer\""), "\(result.stderr)")
        #expect(result.stderr.contains("hexgrad/kokoro-82m has no voice nova"))
        #expect(speech(server).isEmpty)
    }

    @Test func subtitlesAskedAfterwardsCostNothing() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("chapter.txt", chapterText(characters: 1500))
        folder.write("m.json", #"{"name": "late", "tasks": [{"id": "a", "type": "tts", "textFile": "chapter.txt", "maxChars": 400}]}"#)
        #expect(try run(server, in: folder).status == 0)
        let bought = speech(server).count
        #expect(bought >= 4)
        folder.write("m.json", #"{"name": "late", "tasks": [{"id": "a", "type": "tts", "textFile": "chapter.txt", "maxChars": 400, "subtitles": "srt"}]}"#)
        let again = try run(server, in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        // The kept chunks are joined again with their subtitles; nothing is bought.
        #expect(speech(server).count == bought)
        #expect(folder.files(under: "out/late").contains("a.srt"))
    }

    @Test func badLexiconAndDialogueFieldsNameFileLineAndField() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("names.lex", "Nguyen => Win\nno arrow here\nOk => okay\n => empty term\n")
        folder.write("m.json", """
            {"name": "bad", "tasks": [
              {"id": "a", "type": "tts", "text": "Hello.", "lexicon": "names.lex"},
              {"id": "b", "type": "tts", "text": "Hello.", "dialogue": {"quotes": "", "script": {}}},
              {"id": "c", "type": "tts", "text": "Hello.", "dialogue": {"narrator": "af_bella"}, "subtitles": "ass"}
            ]}
            """)
        let result = try runCLI(["validate", "m.json"], environment: runEnvironment, in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("m.json:2: tasks[0].lexicon"), "\(result.stderr)")
        #expect(result.stderr.contains("names.lex line 2: a rule is 'term => respelling' and this line has no '=>'"))
        // Every bad line, not only the first.
        #expect(result.stderr.contains("names.lex line 4: the term before '=>' is empty"), "\(result.stderr)")
        #expect(result.stderr.contains("m.json:3: tasks[1].dialogue.quotes"))
        #expect(result.stderr.contains("m.json:3: tasks[1].dialogue.script"))
        #expect(result.stderr.contains("m.json:4: tasks[2].dialogue"))
        #expect(result.stderr.contains("dialogue needs quotes"))
        #expect(result.stderr.contains("m.json:4: tasks[2].subtitles"))
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
}
