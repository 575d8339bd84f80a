import Files
import Journal
import Loudness
import Media
import Support
import Reports
import Tasks

/// Joins each book's chapters into one mp3 with ID3v2 chapter marks (CTOC and one CHAP per
/// chapter, at the exact chapter starts counted in frames) and writes an `.m3u` playlist of
/// the chapter files, at the end of a run, once every chapter is done with its file intact
/// (whichever run made it). Both files are written together, atomically; when the files on
/// disk already hold exactly these bytes nothing is written, so a rerun with every chapter
/// done writes nothing new. A book whose chapters are not all done waits for a later run.
package struct BookBinder {
    package let shard: Shard?
    package let claims: PathClaims

    /// The book's files written (done) or why they could not be (failed); nothing for a
    /// book left as it was or still waiting for chapters. A book whose two files exist and
    /// none of whose chapters this run wrote (`written`: paths) is not even read again.
    package func bind(_ books: [BookPlan], written: Set<String>) -> [TaskOutcome] {
        var intactByFolder: [String: Set<String>] = [:]
        var outcomes: [TaskOutcome] = []
        for book in books {
            let folder = book.target.folder
            let chapters = book.chapters.sorted { $0.number < $1.number }
            guard chapters.map(\.number) == Array(1...max(book.total, 1)) else { continue }
            let bookFiles = ["mp3", "m3u"].map { book.target.path(index: nil, of: 1, fileExtension: $0) }
            if bookFiles.allSatisfy(FileIO.exists), !chapters.contains(where: { written.contains($0.path) }) { continue }
            if intactByFolder[folder] == nil {
                intactByFolder[folder] = (try? JournalIndex(path: Journal.path(folder: folder, shard: shard)))?.intactKeys(folder: folder) ?? []
            }
            guard chapters.allSatisfy({ intactByFolder[folder]?.contains($0.key) == true }) else { continue }
            let taskID = "book " + book.target.baseName
            let started = MonotonicClock.now()
            do throws(TaskFailure) {
                let outputs = try files(of: book, chapters: chapters)
                guard outputs.contains(where: { (try? FileIO.readAll($0.path)) != $0.bytes }) else { continue }
                try Self.checkReplaceable(outputs.map(\.path), chapters: chapters)
                let written = try AtomicOutputs.write(
                    outputs.map { OutputFile(path: $0.path, bytes: $0.bytes) }, taskID: taskID, folder: folder, claims: claims)
                outcomes.append(TaskOutcome(
                    taskID: taskID, origin: book.origin, attempts: 0, result: .done(files: written, cost: nil, generationID: nil),
                    seconds: MonotonicClock.now() - started, folder: folder))
            } catch {
                outcomes.append(TaskOutcome(taskID: taskID, origin: book.origin, attempts: 0, result: .failed(error), seconds: 0, folder: folder))
            }
        }
        return outcomes
    }

    /// The book's mp3 and playlist, from the chapter files.
    private func files(of book: BookPlan, chapters: [BookPlan.Chapter]) throws(TaskFailure) -> [(path: String, bytes: [UInt8])] {
        var parts: [[UInt8]] = []
        var marks: [ID3Chapters.Mark] = []
        var playlist = "#EXTM3U\n"
        var samples = 0
        for chapter in chapters {
            let bytes: [UInt8]
            do { bytes = try FileIO.readAll(chapter.path) } catch {
                throw TaskFailure(.permanent, cause: .file(path: chapter.path), message: "cannot read chapter \(chapter.number) for the book: \(error)")
            }
            let scan = MP3Frames.scan(bytes)
            guard let first = scan.frames.first else {
                throw TaskFailure(.permanent, cause: .file(path: chapter.path), message: "chapter \(chapter.number) (\(chapter.path)) holds no mp3 audio frames")
            }
            let rate = first.header.sampleRate
            let start = samples * 1000 / rate
            samples += scan.frames.reduce(0) { $0 + $1.header.samplesPerFrame }
            let end = samples * 1000 / rate
            marks.append(ID3Chapters.Mark(title: chapter.title, startMilliseconds: start, endMilliseconds: end))
            playlist += "#EXTINF:\(Self.seconds(scan.duration)),\(Self.oneLine(chapter.title))\n"
            playlist += FileIO.relative(chapter.path, to: FileIO.directory(of: book.target.path(index: nil, of: 1, fileExtension: "m3u"))) + "\n"
            parts.append(bytes)
        }
        let joined: [UInt8]
        do { joined = try MP3Joiner.join(parts) } catch {
            throw TaskFailure(.permanent, cause: .response, message: "cannot join the book's chapters: \(error)")
        }
        var replayGain: [(String, String)] = []
        if let target = book.loudness, let measured = try? Loudness.measure(mp3: joined),
            let rest = NarrationLeveller.replayGain(of: measured, target: target)
        {
            replayGain = NarrationLoudness.replayGainTags(gain: rest.gain, peak: rest.peak)
        }
        let tag = ID3Tag.v24(
            title: book.album, artist: book.artist, album: book.album, comment: "chapters=\(chapters.count)", userText: replayGain,
            extraFrames: ID3Chapters.frames(marks))
        return [
            (book.target.path(index: nil, of: 1, fileExtension: "mp3"), tag + joined),
            (book.target.path(index: nil, of: 1, fileExtension: "m3u"), Array(playlist.utf8)),
        ]
    }

    /// A book never replaces a chapter, nor a file it did not write: an existing mp3 must
    /// be an earlier book (its tag holds the CTOC frame books carry), an existing playlist an
    /// extended M3U.
    private static func checkReplaceable(_ paths: [String], chapters: [BookPlan.Chapter]) throws(TaskFailure) {
        for path in paths {
            if chapters.contains(where: { $0.path == path }) {
                throw TaskFailure(.permanent, cause: .file(path: path), message: "the book would replace chapter file \(path): give the book another album name")
            }
            guard FileIO.exists(path) else { continue }
            let head = (try? FileIO.readAll(path, limit: 64 * 1024)) ?? []
            let ours = path.hasSuffix(".m3u")
                ? head.starts(with: Array("#EXTM3U\n".utf8))
                : containsCTOC(head)
            if !ours {
                throw TaskFailure(.permanent, cause: .file(path: path), message: "\(path) exists and is not a book mediabatch wrote; move it away or give the book another album name")
            }
        }
    }

    private static func containsCTOC(_ head: [UInt8]) -> Bool {
        guard head.starts(with: Array("ID3".utf8)), let length = MP3Frames.id3v2Length(head, at: 0) else { return false }
        let end = min(length, head.count)
        return end >= 18 && (10..<(end - 8)).contains { MP3Frames.matches(head, at: $0, "CTOC") && MP3Frames.matches(head, at: $0 + 10, "toc") }
    }

    /// Seconds with three decimals, as `#EXTINF` takes them.
    private static func seconds(_ value: Double) -> String {
        let milliseconds = Int((value * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// A title on one line (a playlist entry ends at the line's end).
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
