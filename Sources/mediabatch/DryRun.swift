import ArgumentParser
import Files
import Foundation
import JSON
import Journal
import Manifest
import Reports
import Runner
import Support
import Tasks

/// What a run would do now, without sending: the run's own planner (validation, keys, the
/// journals, files not to overwrite) decides each task's state, and `PlanCommand.describe`
/// its model, requests and estimate.
struct DryRun {
    let manifest: ManifestOptions
    let connection: ConnectionOptions
    let refreshModels: Bool
    let shard: Shard?
    let force: Bool
    let retryRefused: Bool

    typealias State = PlannedState
    typealias FolderKey = PlanListing.FolderKey

    /// Plans and decides every task, writing each row out as its state is known (see
    /// `PlanListing`): the listing and totals, the catalog used, and the earlier versions'
    /// video jobs the run would collect.
    func listing(shape: PlanListing.Shape) throws -> (listing: PlanListing, catalog: ModelCatalog?, superseded: [SupersededVideoJob]) {
        let configuration = try connection.loadConfiguration()
        let catalog = manifest.catalog(refresh: refreshModels, connection)
        let plan = manifest.loadUnvalidatedPlan(configuration: configuration, catalog: catalog)
        let listing = PlanListing(shape: shape)
        let json = shape.isJSON
        var planner = RunPlanner(shard: shard, force: force)
        planner.retryRefused = retryRefused
        planner.keepsTasks = false
        // Each task's line is made on the validation threads, with its key; a narration's
        // chunks kept by earlier runs are not to buy again (what the run will find).
        let stores = ChunkStores()
        let force = force
        let describe: @Sendable (MediaTask, String) -> TaskListing = { task, key in
            guard !force, case .speech(let speech) = task else { return PlanCommand.listing(task, catalog: catalog) }
            return PlanCommand.listing(task, catalog: catalog, narration: Self.chunksToBuy(speech, key: key, stores: stores))
        }
        planner.describe = describe
        planner.visit = { (task: MediaTask, key: String, described: TaskListing?) in
            let described = described ?? describe(task, key)
            var row = PlanListing.Row(
                id: task.id, model: listing.number(of: described.model), requests: described.requests, estimate: described.estimate,
                line: described.line, columns: json ? Self.columns(task) : nil)
            if task.hasReferences {
                row.after = task.references.map(\.producerID)
                row.dependent = FolderKey(folder: task.output.folder, key: key)
            }
            listing.visit(row)
        }
        planner.decided = { index, state in listing.decide(index, state) }
        let selection: RunSelection
        do { selection = try planner.select(plan) } catch {
            switch error {
            case .manifest(let problems): throw CommandFailure.manifest(problems)
            case .file(let failure): throw CommandFailure.data(failure.description)
            }
        }
        Terminal.warn(plan.validationWarnings)
        if !listing.dependents.isEmpty {
            let toRun = Set(selection.entries.flatMap { $0.tasks.map { FolderKey(folder: $0.folder, key: $0.key) } })
            let kept = Set(selection.kept.map { FolderKey(folder: $0.task.folder, key: $0.task.key) })
            // A task can only show as refused when it is neither run nor kept, which `--force`
            // (no journals read) never leaves: the planner's refused keys are the journals'.
            let refused = selection.refusedKeys
            let polled = Set(selection.entries.flatMap { $0.tasks.filter { $0.videoJob != nil }.map { FolderKey(folder: $0.folder, key: $0.key) } })
            let uncertain = Set(selection.uncertain.map { FolderKey(folder: $0.folder, key: $0.key) })
            listing.decideDependents { row in
                guard let id = row.dependent else { return .run }
                // A chain is sharded by its root's key.
                let shardKey = selection.chainRootKeys[row.id] ?? id.key
                return polled.contains(id) ? .polled : uncertain.contains(id) ? .uncertain
                    : toRun.contains(id) ? .run : kept.contains(id) ? .kept
                    : shard.map { !$0.contains(key: shardKey) } == true ? .otherShard
                    : refused[id.folder]?.contains(id.key) == true && !retryRefused ? .refused : .done
            }
        }
        // The planned tasks take a while to free: not on this thread, which has the listing
        // to print.
        let superseded = selection.superseded
        Self.freeElsewhere(selection)
        return (listing, catalog, superseded)
    }

    /// A narration's chunks as a run would split them now, and which of them earlier runs
    /// kept (their record, and a file of the recorded size); nil when the folder's chunk
    /// records cannot be read.
    private static func chunksToBuy(_ task: SpeechTask, key: String, stores: ChunkStores) -> PlanCommand.NarrationChunksToBuy? {
        guard let store = try? stores.store(folder: task.output.folder, journal: nil) else { return nil }
        let chunks = store.split(task, key: key, reuse: true)
        var kept = 0
        var characters = 0
        for (index, hash) in chunks.hashes.enumerated() {
            // The run's own test (size and SHA-256 of the kept file): what it will not buy.
            if store.audio(hash: hash, format: task.format) != nil {
                kept += 1
            } else {
                characters += chunks.texts[index].count
            }
        }
        return PlanCommand.NarrationChunksToBuy(chunks: chunks.hashes.count, kept: kept, charactersToBuy: characters)
    }

    /// Lets go of `value` on another thread (the process may end first: then nothing is freed).
    private static func freeElsewhere<Value: Sendable>(_ value: Value) {
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(value) {} }
    }

    func show(summary: Bool, json: Bool, all: Bool, colour: Bool = Terminal.colour) throws {
        let shape: PlanListing.Shape = json ? .json : summary ? .summary : .cells(all: all)
        let (listing, catalog, superseded) = try listing(shape: shape)
        let byModel = listing.byModel
        let requests = byModel.values.reduce(0) { $0 + $1.requests }
        let cost = byModel.values.reduce(0.0) { $0 + $1.cost }
        let unpriced = byModel.values.reduce(0) { $0 + $1.unpriced }
        let unknown = unpriced == requests && requests > 0
        func count(_ state: State) -> Int { listing.counts[state] ?? 0 }
        if json {
            // The tasks are written one at a time as they are read back, then the totals.
            var document: JSONObject = [:]
            document["taskCount"] = .int(Int64(listing.rowCount))
            document["toRun"] = .int(Int64(count(.run)))
            document["alreadyDone"] = .int(Int64(count(.done)))
            document["kept"] = .int(Int64(count(.kept)))
            document["refusedBefore"] = .int(Int64(count(.refused)))
            document["otherShards"] = .int(Int64(count(.otherShard)))
            document["videoJobsRunning"] = .int(Int64(count(.polled)))
            document["uncertain"] = .int(Int64(count(.uncertain)))
            document["superseded"] = .array(superseded.map { old in
                var job: JSONObject = ["id": .string(old.record.taskID), "job": .string(old.record.jobID ?? ""), "file": .string(old.relativePath())]
                if let since = old.record.since { job["since"] = .string(since) }
                return .object(job)
            })
            document["requests"] = .int(Int64(requests))
            document["estimatedCost"] = unknown ? .null : .double(RunReport.money(cost))
            document["unpricedRequests"] = .int(Int64(unpriced))
            var out = BufferedOutput("{\"tasks\":[")
            var first = true
            listing.forEachRow { _, task in
                out.add(first ? task : "," + task)
                first = false
            }
            let totals = String(decoding: JSONEncoding.encodeForReading(.object(document)), as: UTF8.self)
            out.add("]," + totals.dropFirst() + "\n")
            out.flush()
            return
        }
        if !summary && !Terminal.standardOutputIsTerminal {
            // What `Table` prints off a terminal (tab-separated cells, no header), written a
            // block at a time (the whole listing of a big batch is tens of MiB).
            var out = BufferedOutput()
            listing.forEachRow { state, row in
                if listing.isListed(state) { out.add(row + "\n") }
            }
            out.flush()
        } else if !summary {
            // Read twice: once for the columns' widths, once to print.
            var table = Table.Columns(["id", "type", "model", "ratio/voice", "size", "makes", "output", "estimate"] + (all ? ["state"] : []))
            var listed = 0
            listing.forEachRow { state, row in
                guard listing.isListed(state) else { return }
                table.measure(Self.cells(row))
                listed += 1
            }
            var out = BufferedOutput(listed > 0 ? table.head(colour: colour) : "")
            listing.forEachRow { state, row in
                if listing.isListed(state) { out.add(table.line(Self.cells(row))) }
            }
            out.flush()
        }
        for model in byModel.keys.sorted() {
            let line = byModel[model]!
            let price = line.unpriced == line.requests ? "cost unknown" : Terminal.dollars(line.cost) + (line.unpriced > 0 ? " + \(line.unpriced) unpriced" : "")
            Terminal.output("\(model): \(line.requests) request\(line.requests == 1 ? "" : "s"), \(price)")
        }
        var total = "\(listing.rowCount) task\(listing.rowCount == 1 ? "" : "s"): \(count(.run)) to run, \(count(.done)) already done"
        if count(.kept) > 0 { total += ", \(count(.kept)) kept (files not to overwrite)" }
        if count(.refused) > 0 { total += ", \(count(.refused)) refused before" }
        if count(.otherShard) > 0 { total += ", \(count(.otherShard)) in other shards" }
        if count(.polled) > 0 { total += ", \(count(.polled)) video job\(count(.polled) == 1 ? "" : "s") running (polled, not paid again)" }
        if count(.uncertain) > 0 { total += ", \(count(.uncertain)) uncertain (--resubmit-uncertain)" }
        total += "; \(requests) request\(requests == 1 ? "" : "s"), estimated cost "
        total += unknown ? "unknown" : Terminal.dollars(cost) + (unpriced > 0 ? " (+ \(unpriced) requests of unknown price)" : "")
        if catalog == nil { total += " (run `mediabatch models` to cache prices)" }
        Terminal.output(total)
        // An earlier version's job is paid for: said plainly, on stderr (stdout's rows are for scripts).
        for old in superseded {
            let since = old.record.since.map { ", submitted \($0)" } ?? ""
            Terminal.error(
                "note: \(old.record.taskID): an earlier version's video job \(old.record.jobID ?? "?") is still open\(since) (the task changed since); "
                    + "the run collects it into \(FileIO.relativeDisplay(old.folder))/\(old.relativePath()) and counts its cost; it is never submitted again")
        }
    }

    /// Every column of the table, and more: what a reader of the JSON needs of a task.
    private static func columns(_ task: MediaTask) -> JSONObject {
        var entry: JSONObject = ["id": .string(task.id), "manifest": .string(task.origin.description)]
        let references = task.references
        if !references.isEmpty {
            // The chain: the references as written, and the producers' ids (listed before it).
            entry["references"] = .array(references.map { .string($0.description) })
            entry["after"] = .array(references.map(\.producerID).uniqued().map(JSON.string))
        }
        switch task {
        case .image(let image):
            entry["type"] = "image"
            entry["prompt"] = .string(image.prompt)
            entry["aspectRatio"] = image.aspectRatio.map(JSON.string) ?? .null
            entry["resolution"] = image.resolution.map(JSON.string) ?? .null
            entry["images"] = .int(Int64(image.imagesPerRequest))
            entry["output"] = .string(image.output.folder + "/" + image.output.baseName)
        case .speech(let speech):
            entry["type"] = "tts"
            entry["voice"] = .string(speech.voice)
            entry["characters"] = .int(Int64(speech.text.count))
            entry["text"] = .string(String(speech.text.prefix(200)))
            entry["format"] = .string(speech.format.fileExtension)
            entry["output"] = .string(speech.output.folder + "/" + speech.output.baseName + "." + speech.format.fileExtension)
        case .video(let video):
            entry["type"] = "video"
            entry["prompt"] = .string(video.prompt)
            entry["duration"] = video.duration.map { .int(Int64($0)) } ?? .null
            entry["resolution"] = video.resolution.map(JSON.string) ?? .null
            entry["aspectRatio"] = video.aspectRatio.map(JSON.string) ?? .null
            entry["firstFrame"] = video.firstFrame.map { .string($0.location) } ?? .null
            entry["lastFrame"] = video.lastFrame.map { .string($0.location) } ?? .null
            entry["output"] = .string(video.output.folder + "/" + video.output.baseName + ".mp4")
        }
        return entry
    }

    /// The cells of a row's text (tab-separated).
    private static func cells(_ row: String) -> [String] {
        row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
}

/// Text for stdout gathered and written 64 KiB at a time: a big listing is tens of MiB,
/// neither one write nor a write a line.
private struct BufferedOutput {
    private var text: String

    init(_ start: String = "") { text = start }

    mutating func add(_ more: some StringProtocol) {
        text += more
        if text.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        Terminal.write(text)
        text.removeAll(keepingCapacity: true)
    }
}
