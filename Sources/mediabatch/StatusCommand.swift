import ArgumentParser
import Files
import HTTP
import JSON
import Journal
import Manifest
import OpenRouter
import Runner
import Support

/// `mediabatch status`: what the journals say, task by task: of an output folder, of every
/// folder of an output root, or of a batch as its manifests plan it (then the tasks no
/// journal names are pending). Also who runs on each folder now.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show done, pending, failed, refused, kept and unfinished tasks, and running runs, from the journals.",
        discussion: """
            Give output folders (each holding .mediabatch/), an output root (all its folders), or manifests (the batch as \
            planned, task by task: tasks no journal names are pending, never started). Task lines go to stdout \
            (tab-separated through a pipe, a table with a header on a terminal; with several folders the first column is \
            the folder), the totals to stderr. Exit 66 when a path does not exist or holds neither journals nor manifests.

            Examples: mediabatch status output/product-shots --credits
                      mediabatch status jobs/ -o /srv/media --json
            """)

    @Argument(help: "Output folders, an output root, or manifests (.json, .jsonl) or folders of them.", completion: .file())
    var paths: [String]

    @Option(name: [.customShort("o"), .long], help: "The output root of the manifests given (default: the config file's outputRoot, else output).",
            completion: .directory)
    var outputRoot: String?

    @Option(help: "A JSON file of header fields for the manifests given (JSONL ones above all).", completion: .file(extensions: ["json"]))
    var defaults: String?

    @Flag(help: "List every task, the done ones too.")
    var all = false

    @Flag(help: "Print the status as JSON on stdout (every task), and nothing else there.")
    var json = false

    @Flag(help: "Also ask OpenRouter how much credit the key has left (GET /key).")
    var credits = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var folders: [FolderStatus] = []
        var manifests: [String] = []
        for path in paths {
            switch try Self.classify(path) {
            case .folders(let found):
                for folder in found { folders.append(try Self.read(folder) { $0.recorded() }) }
            case .manifests: manifests.append(path)
            }
        }
        if !manifests.isEmpty { folders += try planned(manifests) }
        show(folders, planned: !manifests.isEmpty)
        if credits { try showCredits() }
    }

    enum PathKind { case folders([String]), manifests }

    /// An output folder, an output root (its folders holding journals) or manifests.
    static func classify(_ path: String) throws -> PathKind {
        guard FileIO.exists(path) else { throw CommandFailure.noInput("\(path): no such file or folder") }
        if FileIO.isDirectory(path) {
            if FileIO.isDirectory(path + "/.mediabatch") { return .folders([path]) }
            let entries = (try? FileIO.listFolder(path)) ?? []
            let folders = entries.sorted().map { path + "/" + $0 }.filter { FileIO.isDirectory($0 + "/.mediabatch") }
            if !folders.isEmpty { return .folders(folders) }
            // What a manifest is, as `run` decides it (extensions, the `"tasks"` rule).
            if !ManifestPaths.files([path]).files.isEmpty { return .manifests }
            throw CommandFailure.noInput("\(path) holds no journal (.mediabatch/), no output folders and no manifests: nothing has run there")
        }
        return .manifests
    }

    private static func read(_ folder: String, _ fill: (inout FolderStatus) -> Void) throws -> FolderStatus {
        do {
            var status = try FolderStatus(folder: folder)
            fill(&status)
            return status
        } catch {
            throw CommandFailure.data(error.description)
        }
    }

    /// The batch as planned: every task of the manifests, with its key, looked up in its
    /// folder's journals.
    private func planned(_ manifests: [String]) throws -> [FolderStatus] {
        let configuration = try connection.loadConfiguration()
        var byFolder: [String: [(id: String, key: String)]] = [:]
        var order: [String] = []
        let root = FileIO.absolute(outputRoot ?? configuration.outputRoot ?? "output")
        let context = ManifestContext(inputRoots: configuration.inputRoots.compactMap(FileIO.realPath))
        let cache = ManifestOptions.cachedCatalog(baseURL: connection.resolvedBaseURL(configuration))
        // The run's planner gives each task its key as a run would: a task taking another's
        // output (`@id`) has its key from the producer's file as the journal records it.
        var planner = RunPlanner(shard: nil, force: false)
        // Only the keys and the earlier versions' jobs are wanted: no planned task is kept.
        planner.keepsTasks = false
        planner.visit = { task, key, _ in
            if byFolder[task.output.folder] == nil { order.append(task.output.folder) }
            byFolder[task.output.folder, default: []].append((task.id, key))
        }
        var superseded: [String: [SupersededVideoJob]] = [:]
        do {
            let selection = try planner.select(BatchPlan(loading: manifests, outputRoot: root, defaultsFile: defaults, catalog: cache, context: context))
            for job in selection.superseded { superseded[job.folder, default: []].append(job) }
        } catch {
            switch error {
            case .manifest(let problems): throw CommandFailure.manifest(problems)
            case .file(let failure): throw CommandFailure.data(failure.description)
            }
        }
        return try order.map { folder in try Self.read(folder) { $0.planned(byFolder[folder]!, superseded: superseded[folder] ?? []) } }
    }

    private func show(_ folders: [FolderStatus], planned: Bool) {
        if json {
            let document: JSON = ["folders": .array(folders.map(\.json)), "totals": FolderStatus.totalsJSON(folders)]
            Terminal.write(String(decoding: JSONEncoding.encodeForReading(document), as: UTF8.self) + "\n")
        } else {
            let several = folders.count > 1
            var table = Table((several ? ["folder"] : []) + ["state", "task", "detail"])
            for folder in folders {
                for task in folder.tasks where all || task.state != .done {
                    table.add((several ? [FileIO.relativeDisplay(folder.folder)] : []) + [task.state.rawValue, task.id] + task.detail + [task.time ?? ""])
                }
            }
            table.print(colour: output.colour)
        }
        for folder in folders {
            let name = FileIO.relativeDisplay(folder.folder)
            if folders.count > 1 { Terminal.standardError("\(name): " + FolderStatus.totals([folder], planned: planned)) }
            for holder in folder.locks { Terminal.standardError("\(name): \(holder.running ? "running: " : "lock left: ")\(holder)") }
            if folder.tornLines > 0 { Terminal.standardError("\(name): \(folder.tornLines) torn journal line\(folder.tornLines == 1 ? "" : "s") skipped") }
        }
        Terminal.standardError(FolderStatus.totals(folders, planned: planned))
    }

    /// `GET /key`: the credit left on the key, worth knowing before a rerun.
    private func showCredits() throws {
        MediaBatchRuntime.start()
        let endpoint = try connection.endpoints(try connection.loadConfiguration()).image
        let status: OpenRouterClient.KeyStatus
        do { status = try OpenRouterClient(endpoint: endpoint).keyStatus(on: try HTTPConnection(trace: connection.trace(for: [endpoint]))) } catch {
            throw CommandFailure.unavailable("cannot read the key's credit from \(endpoint.baseURL)/key (\(error))")
        }
        Terminal.standardError("credit left on the key: \(status.limitRemaining.map { Terminal.dollars($0) } ?? "no limit set")")
    }
}
