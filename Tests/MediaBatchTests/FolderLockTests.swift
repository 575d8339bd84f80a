import FakeOpenRouter
import Foundation
import Journal
import Testing
import TestSupport

/// Issue 16: the run lock is per output folder, so unrelated jobs in one root do not block
/// each other, two runs on one folder still do, and no lock file lingers after a clean end.
@Suite struct FolderLockTests {
    @Test func locksOfOneFolderExcludeEachOtherAndOtherFoldersDoNot() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let a = folder.path + "/root/a", b = folder.path + "/root/b"
        var first: RunLock? = try RunLock(folder: a, shard: nil)
        let other = try RunLock(folder: b, shard: nil)
        #expect(FileManager.default.fileExists(atPath: a + "/.mediabatch/run.lock"))
        do {
            _ = try RunLock(folder: a, shard: nil)
            Issue.record("a second lock on the same folder was granted")
        } catch {
            guard case .busy(let busy) = error else { Issue.record("\(error)"); return }
            #expect(busy.holder.contains("pid \(getpid())"))
        }
        let holder = try #require(RunLock.holder(path: a + "/.mediabatch/run.lock"))
        #expect(holder.pid == getpid() && holder.running)
        first = nil
        #expect(!FileManager.default.fileExists(atPath: a + "/.mediabatch/run.lock"), "the lock file lingers after a clean end")
        withExtendedLifetime(first) {}
        withExtendedLifetime(other) {}
        // A file left by a killed run names a process that is gone, and does not block.
        folder.write("root/c/.mediabatch/run.lock", "pid 2147483000 on \(ProcessInfo.processInfo.hostName) since 2026-01-01T00:00:00Z\n")
        let stale = try #require(RunLock.holder(path: folder.path + "/root/c/.mediabatch/run.lock"))
        #expect(!stale.running)
        _ = try RunLock(folder: folder.path + "/root/c", shard: nil)
    }

    @Test func twoRunsWritingDifferentFoldersOfOneRootProceedSideBySide() throws {
        let server = try startFake { $0.latency = 0.2 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("slow.json", ##"{"name": "slow", "tasks": [{"id": "s", "prompt": "#fake:first-byte=30", "model": "google/gemini-2.5-flash-image"}]}"##)
        folder.write("quick.json", #"{"name": "quick", "tasks": [{"id": "q", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        let slow = try BackgroundCLI(["run", "slow.json", "--output-root", "out", "--base-url", server.baseURL],
                                     environment: runEnvironment, in: folder.path, logName: "slow")
        defer { slow.killAndReap() }
        let lockPath = folder.path + "/out/slow/.mediabatch/run.lock"
        try #require(waitFor(timeout: hangDeadline) { FileManager.default.fileExists(atPath: lockPath) }, "\(slow.stderr)")
        let quick = try runCLI(["run", "quick.json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(quick.status == 0, "\(quick.stderr)")
        #expect(slow.isRunning)
        // The same folder is still exclusive.
        let again = try runCLI(["run", "slow.json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(again.status == 75, "\(again.stderr)")
        #expect(again.stderr.contains("another mediabatch run holds"))
    }
}
