import FakeOpenRouter
import Foundation
import Glibc
import Journal
import Media
import Narration
import Support
import Testing
import TestSupport

/// Paragraph `index` of a test narration: `sentences` distinct sentences (about 85
/// characters each), every one naming its paragraph, plus `extra`.
private func paragraph(_ index: Int, sentences: Int, extra: String = "") -> String {
    (0..<sentences).map { "The keeper of paragraph \(index), line \($0), climbed the stair and counted every step." }
        .joined(separator: " ") + extra
}

/// The inputs of the speech requests the fake received, in arrival order.
private func speechInputs(_ server: FakeOpenRouterServer) -> [String] {
    server.requests().filter { $0.path == "/audio/speech" }.compactMap { $0.json()?["input"] as? String }
}

/// A narration manifest of one task `ch` reading `ch.txt` (and, if given, a second task
/// `other` reading `other.txt`).
private func narrationManifest(maxChars: Int, other: Bool = false) -> String {
    let second = other ? #", {"id": "other", "type": "tts", "textFile": "other.txt", "maxChars": \#(maxChars)}"# : ""
    return #"{"name": "m", "tasks": [{"id": "ch", "type": "tts", "textFile": "ch.txt", "maxChars": \#(maxChars)}\#(second)]}"#
}

/// The kept chunks of an output folder, by file name.
private func chunkFiles(_ folder: TempFolder, _ sub: String = "out/m") -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + sub + "/.mediabatch/chunks"))?.sorted() ?? []
}

/// The chunk hashes the last `narration` record of `task` names.
private func narrationHashes(_ folder: TempFolder, task: String, _ sub: String = "out/m") -> [String] {
    let records = JournalLines(path: folder.path + "/" + sub + "/.mediabatch/journal.jsonl").records("narration")
    return (records.last { $0["task"] as? String == task }?["chunks"] as? [String]) ?? []
}

/// The paragraphs (by number) that `texts` hold sentences of.
private func paragraphNumbers(_ texts: [String]) -> Set<Int> {
    Set(texts.flatMap { $0.components(separatedBy: "paragraph ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) } })
}

private func bytes(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

/// Narration chunks are kept under `.mediabatch/chunks/` and journaled, so a rerun after a
/// crash, a refused chunk or an edit buys only the chunks that are new or changed, and
/// `gc` removes exactly the chunks no current task needs. Serialized: one test kills a
/// subprocess mid-run, and the CI machine has two cores.
@Suite(.serialized) struct NarrationChunkTests {
    private let key = runEnvironment

    @Test func keepingKnownChunksSplitsAsGreedyUnlessAnEditMovedThem() throws {
        var random = try TestSeed.generator()
        for _ in 0..<20 {
            // At least one whole sentence per chunk: below that, pieces of sentences
            // ("The keeper of paragraph 1,") recur across the text, and a known chunk may
            // rightly be reused where greedy packing would have split otherwise.
            let limit = Int.random(in: 100...1200, using: &random)
            let seed = "seed \(random.seed), maxChars \(limit)"
            let chapter = chapterText(characters: Int.random(in: 500...6000, using: &random))
            #expect(NarrationSplitter.split(chapter, maxChars: limit, keeping: .none) == NarrationSplitter.split(chapter, maxChars: limit), "\(seed)")
            // A text without repeated passages, all or some of its own chunks known (a rerun
            // after a crash): the greedy split.
            let text = (0..<Int.random(in: 3...30, using: &random)).map { paragraph($0, sentences: 1 + $0 % 5) }.joined(separator: "\n\n")
            let greedy = NarrationSplitter.split(text, maxChars: limit)
            for fraction in [1.0, 0.5] {
                let known = Set(greedy.filter { _ in Double.random(in: 0..<1, using: &random) < fraction })
                let keeping = KnownChunks(lengths: Set(known.map(\.count))) { known.contains($0) }
                #expect(NarrationSplitter.split(text, maxChars: limit, keeping: keeping) == greedy, "\(seed)")
            }
        }
    }

    @Test func aRerunOfTheSameNarrationSplitsItAsBeforeEvenWithRepeatedPassages() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        // A text that repeats itself, and a chunk size at which splitting it keeping every
        // other chunk would not give the greedy split (a known chunk's text recurs elsewhere).
        let text = chapterText(characters: 4000)
        let limit = try #require((4...40).map { $0 * 25 }.first { limit in
            let greedy = NarrationSplitter.split(text, maxChars: limit)
            let lost = Set(greedy.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
            let known = Set(greedy).subtracting(lost)
            return NarrationSplitter.split(text, maxChars: limit, keeping: KnownChunks(lengths: Set(known.map(\.count))) { known.contains($0) }) != greedy
        })
        folder.write("ch.txt", text)
        let manifest = narrationManifest(maxChars: limit)
        #expect(try runAgainst(server, manifest: manifest, in: folder).done == 1)
        let narration = try #require(bytes(folder.path + "/out/m/ch.mp3"))
        let hashes = narrationHashes(folder, task: "ch")
        let sent = speechInputs(server)

        // As if the run had died before buying every other chunk: their files and records
        // gone, and the narration's file. The rerun buys those chunks again, no others.
        try FileManager.default.removeItem(atPath: folder.path + "/out/m/ch.mp3")
        let lost = Set(hashes.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        for hash in lost { try FileManager.default.removeItem(atPath: folder.path + "/out/m/.mediabatch/chunks/\(hash).mp3") }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let kept = lines.filter { line in !(line.hasPrefix(#"{"event":"chunk""#) && lost.contains { line.contains($0) }) }
        try #require(kept.count < lines.count)
        try (kept.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        #expect(try runAgainst(server, manifest: manifest, in: folder).done == 1)
        #expect(narrationHashes(folder, task: "ch") == hashes)
        let greedy = NarrationSplitter.split(text, maxChars: limit)
        try #require(greedy.count == hashes.count && sent.count == greedy.count)
        let rebought = Array(speechInputs(server).dropFirst(sent.count))
        #expect(rebought.sorted() == greedy.indices.filter { lost.contains(hashes[$0]) }.map { greedy[$0] }.sorted())
        #expect(bytes(folder.path + "/out/m/ch.mp3") == narration)
    }

    @Test func aNarrationWhoseChunksAreAllKeptJoinsThemWithoutBudgetRateOrRequest() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("ch.txt", (1...6).map { paragraph($0, sentences: 4) }.joined(separator: "\n\n"))
        let manifest = narrationManifest(maxChars: 400)
        #expect(try runAgainst(server, manifest: manifest, in: folder).done == 1)
        let narration = try #require(bytes(folder.path + "/out/m/ch.mp3"))
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        let started = JournalLines(path: journal).records("started").count
        let sent = server.stats().requests
        try FileManager.default.removeItem(atPath: folder.path + "/out/m/ch.mp3")
        // A budget no request fits and a rate of one a minute: the join needs neither.
        let clock = MonotonicClock.now()
        let rerun = try runAgainst(server, manifest: manifest, in: folder) { options in
            options.maxCost = 1e-12
            options.requestsPerMinute = 1
        }
        #expect(rerun.done == 1 && rerun.failed == 0 && rerun.stop == nil, "\(rerun.failures)")
        #expect(MonotonicClock.now() - clock < 30)
        #expect(server.stats().requests == sent)
        #expect(JournalLines(path: journal).records("started").count == started)
        #expect(bytes(folder.path + "/out/m/ch.mp3") == narration)
    }

    @Test func killNineMidNarrationThenARerunBuysAtMostConcurrencyChunksTwiceAndJoinsTheSameFile() throws {
        let concurrency = 4
        let (server, folder) = try startFakeAndFolder { $0.latency = 0.1 }
        defer { server.stop(); folder.remove() }
        // Forty paragraphs of ~345 characters: at 400 characters each is one chunk.
        let text = (1...40).map { paragraph($0, sentences: 4) }.joined(separator: "\n\n")
        try #require(NarrationSplitter.split(text, maxChars: 400).count == 40)
        folder.write("ch.txt", text)
        folder.write("m.json", narrationManifest(maxChars: 400))
        let arguments = runArguments(server, ["--concurrency", "\(concurrency)", "--quiet"])

        // Killed the instant the fake has received a seeded number of chunk requests.
        var random = try TestSeed.generator()
        let target = Int.random(in: 6...30, using: &random)
        let moment = "seed \(random.seed), kill on request \(target)"
        let cli = try BackgroundCLI(arguments, environment: key, in: folder.path, logName: "kill")
        defer { cli.killAndReap() }
        waitFor(timeout: hangDeadline, interval: 0.0002) { speechInputs(server).count >= target || !cli.isRunning }
        cli.signal(SIGKILL)
        #expect(cli.wait(timeout: hangDeadline), "\(moment)")
        try #require(cli.killedBySignal, "the run finished before its kill (\(moment)): \(cli.stderr)")
        let boughtBeforeKill = speechInputs(server).count

        let rerun = try runCLI(arguments, environment: key, in: folder.path)
        #expect(rerun.status == 0, "\(moment): \(rerun.stderr)")
        let inputs = speechInputs(server)
        #expect(inputs.count > boughtBeforeKill, "the rerun had nothing left to buy (\(moment))")
        var times: [String: Int] = [:]
        for input in inputs { times[input, default: 0] += 1 }
        #expect(times.count == 40, "\(moment)")
        let twice = times.values.reduce(0) { $0 + $1 - 1 }
        #expect(twice <= concurrency, "\(twice) chunks bought twice after one kill (\(moment))")
        #expect(chunkFiles(folder).count == 40, "\(moment)")
        #expect(tempLeftovers(folder, under: "out").isEmpty, "\(moment)")

        // The same file as a run that was never interrupted.
        let whole = try runCLI(runArguments(server, root: "whole", ["--concurrency", "\(concurrency)", "--quiet"]), environment: key, in: folder.path)
        #expect(whole.status == 0, "\(whole.stderr)")
        let resumed = try #require(bytes(folder.path + "/out/m/ch.mp3"))
        #expect(resumed == bytes(folder.path + "/whole/m/ch.mp3"), "the resumed narration differs from an uninterrupted one (\(moment))")
    }

    @Test func aRefusedChunkThenItsFixedParagraphBuysOnlyThatChunkAndCostsOnlyIt() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let refused = paragraph(9, sentences: 4, extra: " #fake:status=400")
        let fixed = paragraph(9, sentences: 4)
        let paragraphs = (1...12).map { $0 == 9 ? refused : paragraph($0, sentences: 4) }
        folder.write("ch.txt", paragraphs.joined(separator: "\n\n"))
        let manifest = narrationManifest(maxChars: 400)

        // Chunk 9 is refused after others have audio: the narration fails, and its other
        // chunks are still bought and kept.
        let first = try runAgainst(server, manifest: manifest, in: folder, concurrency: 2)
        #expect(first.failed == 1 && first.done == 0)
        #expect(speechInputs(server).count == 12, "sent: \(speechInputs(server).count)")
        #expect(chunkFiles(folder).count == 11)
        // The eleven chunks bought were paid for: the run counts them (the fake billed them).
        let paid = server.stats().billedCost
        #expect(paid > 0 && abs(first.cost - paid) < 1e-9, "run counted \(first.cost), fake billed \(paid)")
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        let index = try JournalIndex(path: journal)
        #expect(index.entries.values.map(\.state) == [.failed], "the narration reads \(index.entries.values.map(\.state)), not failed")
        #expect(index.skippedLines == 0)

        folder.write("ch.txt", paragraphs.map { $0 == refused ? fixed : $0 }.joined(separator: "\n\n"))
        let second = try runAgainst(server, manifest: manifest, in: folder, concurrency: 2) { $0.maxCost = 100 }
        #expect(second.done == 1 && second.failed == 0)
        #expect(Array(speechInputs(server).dropFirst(12)) == [fixed])
        // The done record and the run carry the cost of the one chunk bought (kokoro: $0.0000008 a character).
        let done = try #require(JournalLines(path: journal).records("done").last)
        let cost = try #require(done["cost"] as? Double)
        #expect(abs(cost - Double(fixed.count) * 0.000_000_8) < 1e-9, "done cost \(cost)")
        #expect(abs(second.cost - cost) < 1e-12)

        // The same file as one run of the fixed text.
        let fresh = TempFolder()
        defer { fresh.remove() }
        fresh.write("ch.txt", paragraphs.map { $0 == refused ? fixed : $0 }.joined(separator: "\n\n"))
        #expect(try runAgainst(server, manifest: manifest, in: fresh).done == 1)
        #expect(bytes(folder.path + "/out/m/ch.mp3") == bytes(fresh.path + "/out/m/ch.mp3"))
    }

    /// Twenty paragraphs of 2 to 5 sentences: at `packedMaxChars` a chunk packs several.
    private func packedParagraphs(editing edited: Int? = nil) -> [String] {
        (0..<20).map { index in
            paragraph(index, sentences: 2 + index % 4, extra: index == edited ? " Then paragraph \(index), line 9, paused at the landing." : "")
        }
    }

    private let packedMaxChars = 800

    @Test func anEditedParagraphRebuysOnlyItsChunks() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let original = packedParagraphs().joined(separator: "\n\n")
        let edited = packedParagraphs(editing: 4).joined(separator: "\n\n")
        // The greedy split alone would change most chunks after the edit.
        let before = NarrationSplitter.split(original, maxChars: packedMaxChars)
        let greedyChanged = Set(NarrationSplitter.split(edited, maxChars: packedMaxChars)).subtracting(before).count
        try #require(greedyChanged >= 4, "the edit does not move later chunk boundaries (\(greedyChanged) changed): the test shows nothing")

        folder.write("ch.txt", original)
        let manifest = narrationManifest(maxChars: packedMaxChars)
        #expect(try runAgainst(server, manifest: manifest, in: folder).done == 1)
        #expect(speechInputs(server).count == before.count)

        folder.write("ch.txt", edited)
        // `plan` counts what the run will buy: the kept chunks are not requests again.
        folder.write("m.json", manifest)
        let planned = try runCLI(["plan", "m.json", "--output-root", "out", "--base-url", server.baseURL], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(planned.status == 0, "\(planned.stderr)")
        let plannedRequests = planned.stdout.firstMatch(of: /; (\d+) requests?, estimated/).flatMap { Int($0.1) }
        #expect(planned.stdout.contains("kept"), "\(planned.stdout)")
        #expect(try runAgainst(server, manifest: manifest, in: folder).done == 1)
        let rebought = Array(speechInputs(server).dropFirst(before.count))
        #expect(plannedRequests == rebought.count, "plan said \(String(describing: plannedRequests)) requests, the run bought \(rebought.count): \(planned.stdout)")
        // Only the text of the chunk that held the edited paragraph is bought again (in one
        // or two chunks, as it now fits); every other chunk is kept.
        let affected = before.filter { $0.contains("paragraph 4,") }
        #expect(affected.count == 1)
        #expect((1...2).contains(rebought.count), "re-bought \(rebought.count) chunks for one edited paragraph")
        #expect(paragraphNumbers(rebought) == paragraphNumbers(affected), "re-bought \(rebought) for the edit of \(affected)")

        // The file is the join of the chunks the narration record names, in order.
        let parts = try narrationHashes(folder, task: "ch").map { hash in
            try #require(bytes(folder.path + "/out/m/.mediabatch/chunks/\(hash).mp3"))
        }
        let joined = try MP3Joiner.join(parts)
        let file = try #require(bytes(folder.path + "/out/m/ch.mp3"))
        #expect(file.count > joined.count && Array(file.suffix(joined.count)) == joined)
    }

    @Test func gcRemovesExactlyTheChunksNoCurrentTaskNeeds() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("ch.txt", packedParagraphs().joined(separator: "\n\n"))
        folder.write("other.txt", (40..<46).map { paragraph($0, sentences: 3) }.joined(separator: "\n\n"))
        folder.write("m.json", narrationManifest(maxChars: packedMaxChars, other: true))
        let run = runArguments(server, ["--quiet"])
        #expect(try runCLI(run, environment: key, in: folder.path).status == 0)
        let old = Set(narrationHashes(folder, task: "ch"))
        let other = Set(narrationHashes(folder, task: "other"))
        folder.write("ch.txt", packedParagraphs(editing: 4).joined(separator: "\n\n"))
        #expect(try runCLI(run, environment: key, in: folder.path).status == 0)
        let current = Set(narrationHashes(folder, task: "ch"))
        let stale = old.subtracting(current)
        try #require(!stale.isEmpty && !other.isEmpty)
        // A temp file a crash left behind is not a chunk either.
        folder.write("out/m/.mediabatch/chunks/.x.mp3.mbtmp-999999", bytes: [1, 2, 3])
        let chunks = "out/m/.mediabatch/chunks/"
        let unreferenced = (stale.map { chunks + $0 + ".mp3" } + [chunks + ".x.mp3.mbtmp-999999"]).sorted()
        let all = chunkFiles(folder)

        // A dry run (the default, or --dry-run) lists them with their sizes and removes nothing;
        // given the output folder instead of the manifest, or the output root by the settings
        // file as a run takes it, it finds the same.
        folder.write("settings.json", #"{"outputRoot": "out"}"#)
        for arguments in [["gc", "m.json", "--output-root", "out"], ["gc", "m.json", "--output-root", "out", "--dry-run"], ["gc", "out/m"],
                          ["gc", "m.json", "--config", "settings.json"]] {
            let dry = try runCLI(arguments, environment: key, in: folder.path)
            #expect(dry.status == 0, "\(arguments): \(dry.stderr)")
            let listed = dry.stdout.split(separator: "\n").map { $0.split(separator: "\t") }
            #expect(listed.map { String($0[0]) }.sorted() == unreferenced, "\(arguments)")
            let sizes = listed.map { line in (String(line[0]), Int(line[1]) ?? -1) }
            #expect(sizes.allSatisfy { bytes(folder.path + "/" + $0.0)?.count == $0.1 }, "\(arguments)")
            #expect(dry.stderr.contains("would remove \(unreferenced.count) files"), "\(dry.stderr)")
            #expect(chunkFiles(folder) == all)
        }

        let removed = try runCLI(["gc", "m.json", "--output-root", "out", "--delete"], environment: key, in: folder.path)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stderr.contains("removed \(unreferenced.count) files"), "\(removed.stderr)")
        #expect(Set(chunkFiles(folder)) == Set(current.union(other).map { $0 + ".mp3" }))

        // What stays is enough: a lost narration file comes back without a request.
        let narration = try #require(bytes(folder.path + "/out/m/ch.mp3"))
        try FileManager.default.removeItem(atPath: folder.path + "/out/m/ch.mp3")
        let sent = speechInputs(server).count
        #expect(try runCLI(run, environment: key, in: folder.path).status == 0)
        #expect(speechInputs(server).count == sent)
        #expect(bytes(folder.path + "/out/m/ch.mp3") == narration)
        let status = try runCLI(["status", "out/m"], environment: key, in: folder.path)
        #expect(!status.stderr.contains("torn"), "\(status.stderr)")
    }
}
