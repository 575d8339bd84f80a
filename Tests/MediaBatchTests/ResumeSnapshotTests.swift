import FakeOpenRouter
import Files
import Foundation
import Journal
import Runner
import Testing
import TestSupport

/// The resume snapshot (`journal.index`) is a cache of the journal: reruns read it instead
/// of the records it covers, yet decide exactly as the journal alone would, whatever
/// happened to it since.
@Suite struct ResumeSnapshotTests {
    private func setUp(_ count: Int) throws -> (FakeOpenRouterServer, TempFolder, [String]) {
        let server = try startFake()
        let folder = TempFolder()
        folder.write("m.json", distinctTasksManifest(count: count))
        return (server, folder, runArguments(server))
    }

    private func generations(_ server: FakeOpenRouterServer) -> Int { generationRequests(server).count }

    @Test func aRunLeavesASnapshotOfItsJournalAndARerunTrustsIt() throws {
        let (server, folder, arguments) = try setUp(6)
        defer { server.stop(); folder.remove() }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
        let snapshot = try String(contentsOfFile: ResumeSnapshot.path(forJournal: journal), encoding: .utf8)
        let lines = snapshot.split(separator: "\n")
        let size = try #require(FileIO.size(journal))
        #expect(lines.first?.hasPrefix("mediabatch-journal-index\t1\t") == true)
        #expect(lines.first?.hasSuffix("\t\(size)") == true)
        #expect(lines.count == 7)  // the header, then one line per task
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: "\t").count == 1 + 4 * 2 })  // image + sidecar

        // Entries the snapshot gives are the journal's own.
        let direct = try JournalIndex(path: journal)
        let cached = try JournalIndex(path: journal, outcomesOnly: true)
        #expect(Set(cached.entries.keys) == Set(direct.entries.keys))
        for (key, entry) in direct.entries {
            #expect(cached.entries[key]?.files.map(\.sha256) == entry.files.map(\.sha256))
            #expect(cached.entries[key]?.files.map(\.modified) == entry.files.map(\.modified))
        }

        #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
        #expect(generations(server) == 6)
    }

    @Test func recordsAppendedAfterTheSnapshotStillCount() throws {
        let (server, folder, arguments) = try setUp(4)
        defer { server.stop(); folder.remove() }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
        // A later outcome for task t002 (as a run that redid it and failed would leave),
        // appended behind the snapshot's back, plus a torn line.
        let index = try JournalIndex(path: journal)
        let key = try #require(index.entries.first { $0.value.taskID == "t002" }?.key)
        let failed = #"{"event":"failed","key":"\#(key)","task":"t002","kind":"permanent","message":"x","attempts":1}"# + "\n"
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data((failed + #"{"event":"done","key":"#).utf8))
        handle.closeFile()

        #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
        #expect(generations(server) == 5)
        #expect(generationRequests(server).last.flatMap(prompt)?.hasPrefix("picture 2 ") == true)
    }

    @Test func aDamagedOrForeignSnapshotIsIgnored() throws {
        let (server, folder, arguments) = try setUp(3)
        defer { server.stop(); folder.remove() }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        let snapshotPath = ResumeSnapshot.path(forJournal: journal)
        #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
        let good = try #require(FileManager.default.contents(atPath: snapshotPath))

        // Cut mid-line, then garbage, then a journal replaced by a copy (another inode) whose
        // tasks are gone: every time the journal decides, never the snapshot.
        for damage in ["truncated", "garbage", "foreign"] {
            switch damage {
            case "truncated": try good.prefix(good.count - 20).write(to: URL(fileURLWithPath: snapshotPath))
            case "garbage": try Data("mediabatch-journal-index\t1\tnot-a-number\t0\n".utf8).write(to: URL(fileURLWithPath: snapshotPath))
            default:
                try good.write(to: URL(fileURLWithPath: snapshotPath))
                // The snapshot says all three are done; the new journal (a new inode) says nothing.
                try FileManager.default.removeItem(atPath: journal)
                try Data().write(to: URL(fileURLWithPath: journal))
            }
            let before = generations(server)
            #expect(try runCLI(arguments, environment: runEnvironment, in: folder.path).status == 0)
            #expect(generations(server) == before + (damage == "foreign" ? 3 : 0), "\(damage)")
        }
    }
}
