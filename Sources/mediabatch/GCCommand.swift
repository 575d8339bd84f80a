import ArgumentParser
import Files
import Foundation
import Journal
import Manifest
import ManifestDiagnostics
import OpenRouter
import Runner
import Tasks

/// `mediabatch gc`: removes the kept narration chunks (`.mediabatch/chunks/`) that no
/// current task needs. A dry run unless `--delete` is given.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove kept narration chunks that no current task needs (a dry run unless --delete).",
        discussion: """
            A run keeps every narration chunk it buys under <output folder>/.mediabatch/chunks/, so that a rerun after a crash, a refused chunk or an edit pays only for new or changed chunks. Given manifests, a narration needs the chunks its next run would use (a finished one keeps its chunks for later edits); give every manifest that writes into the output folders to sweep. Given one output folder instead, each narration needs the chunks of its latest version, as the folder's journals record it. Every other file there is unreferenced. Removing takes the run locks of the output folders it sweeps.

            Example: mediabatch gc jobs/ --output-root /srv/media --delete
            """)

    /// The manifests (or one output folder: the command's discussion says how that differs),
    /// with the same settings a run of them takes: `--output-root`, `--defaults`, `--var`,
    /// `--input-root`.
    @OptionGroup var manifest: ManifestOptions

    @Option(help: "Settings file (default: $XDG_CONFIG_HOME/mediabatch/config.json): its outputRoot and inputRoots apply as for run.",
            completion: .file(extensions: ["json"]))
    var config: String?

    @Flag(help: "Only list what would be removed (the default).")
    var dryRun = false

    @Flag(help: "Remove the unreferenced chunks.")
    var delete = false

    private var targets: [String] { manifest.manifests }

    func validate() throws {
        if dryRun && delete { throw ValidationError("--dry-run and --delete exclude each other") }
    }

    func run() throws {
        let sweeper = ChunkSweeper()
        let folders: [String]
        var locks: [RunLock] = []
        if targets.count == 1, FileIO.isDirectory(targets[0] + "/.mediabatch") {
            let folder = FileIO.absolute(targets[0])
            // Locked before its records are read: a run finishing in between would otherwise
            // add chunks this sweep then takes for unreferenced.
            if delete { locks = try Self.lockRuns(folders: [folder]) }
            do { try sweeper.needRecorded(folder: folder) } catch { throw CommandFailure.data(error.description) }
            folders = [folder]
        } else {
            let configuration = try ConnectionOptions.loadConfiguration(path: config)
            folders = try needManifests(sweeper, configuration: configuration)
            // The locks come before the sweep: no run keeps a chunk between looking and removing.
            if delete { locks = try Self.lockRuns(folders: folders) }
        }
        var sweeps: [ChunkSweep] = []
        for folder in folders {
            do { sweeps.append(try sweeper.sweep(folder: folder)) } catch { throw CommandFailure.data(error.description) }
        }
        for sweep in sweeps {
            for file in sweep.unreferenced { Terminal.output("\(FileIO.relativeDisplay(file.path))\t\(file.size)") }
            if delete {
                do { try sweep.remove() } catch { throw CommandFailure.file(error) }
            }
        }
        withExtendedLifetime(locks) {}
        Terminal.standardError(Self.summary(sweeps, removed: delete))
    }

    /// Loads and validates the manifests, marking every narration's chunks as needed;
    /// returns the output folders they write into.
    private func needManifests(_ sweeper: ChunkSweeper, configuration: Configuration) throws -> [String] {
        var failure: FileError?
        let plan = try manifest.loadPlan(catalog: ManifestOptions.cachedCatalog(baseURL: ProcessInfo.processInfo.environment["OPENROUTER_BASE_URL"] ?? configuration.baseURL ?? OpenRouterEndpoint.officialBaseURL), configuration: configuration) { task in
            guard failure == nil else { return }
            do throws(FileError) { try sweeper.need(task) } catch { failure = error }
        }
        if let failure { throw CommandFailure.data(failure.description) }
        return Set(plan.manifests.map(\.header.outputFolder)).sorted()
    }

    /// Every run lock of `folders`: the plain one and each shard's that exists, so that no
    /// run, sharded or not, keeps chunks while they are removed.
    static func lockRuns(folders: [String]) throws -> [RunLock] {
        var locks: [RunLock] = []
        for folder in folders {
            // The plain run's lock is taken even when no run made one yet.
            var shards = RunLock.shards(folder: folder)
            if !shards.contains(where: { $0 == nil }) { shards.insert(nil, at: 0) }
            for shard in shards { locks += try RunLocks.take(folders: [folder], shard: shard) }
        }
        return locks
    }

    /// `would remove 3 files (2880 bytes); 40 chunks kept (38400 bytes) in 1 folder; --delete removes them`.
    static func summary(_ sweeps: [ChunkSweep], removed: Bool) -> String {
        let count = sweeps.reduce(0) { $0 + $1.unreferenced.count }
        let bytes = sweeps.reduce(0) { $0 + $1.unreferencedBytes }
        let kept = sweeps.reduce(0) { $0 + $1.kept.count }
        let keptBytes = sweeps.reduce(0) { $0 + $1.keptBytes }
        var line = removed ? "removed" : "would remove"
        line += " \(count) file\(count == 1 ? "" : "s") (\(Self.size(bytes))); \(kept) chunk\(kept == 1 ? "" : "s") kept (\(Self.size(keptBytes)))"
        line += " in \(sweeps.count) folder\(sweeps.count == 1 ? "" : "s")"
        if !removed && count > 0 { line += "; --delete removes them" }
        return line
    }

    /// `123 bytes`, or `12345678 bytes, 11.8 MiB` past 10 KiB.
    static func size(_ bytes: Int) -> String {
        if bytes < 10 << 10 { return "\(bytes) bytes" }
        if bytes < 10 << 20 { return String(format: "%d bytes, %.1f KiB", bytes, Double(bytes) / 1024) }
        return String(format: "%d bytes, %.1f MiB", bytes, Double(bytes) / 1_048_576)
    }
}
