import ArgumentParser
import Files
import Foundation
import JSON
import Journal
import Manifest
import Reports
import Runner
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

    /// Requests, estimated dollars and unpriced requests for one model.
    struct ModelLine {
        var requests = 0
        var cost = 0.0
        var unpriced = 0
    }

    typealias State = PlannedState

    /// What the listing needs of a task (not the task itself: 100,000 of them add up). Its
    /// line waits in the listing's scratch file, its model is an index into `Listing.models`.
    struct Row {
        let id: String
        /// For a task taking other tasks' outputs; held out of line (an array is one
        /// reference): most rows have none.
        private let chainStorage: [RowChain]
        let model: Int32
        let requests: Int32
        let estimate: Double?
        let line: ScratchFile.Place
        var state = State.run

        init(id: String, chain: RowChain?, model: Int32, requests: Int, estimate: Double?, line: ScratchFile.Place) {
            self.id = id
            chainStorage = chain.map { [$0] } ?? []
            self.model = model
            self.requests = Int32(clamping: requests)
            self.estimate = estimate
            self.line = line
        }

        /// The producers it takes outputs from (`@id`): listed after them.
        var after: [String] { chainStorage.first?.after ?? [] }
        /// A dependent's output folder and key: the chain planner decides its state, found
        /// in the selection afterwards (the planner tells every other task's as it goes).
        var dependent: FolderKey? { chainStorage.first?.dependent }
    }

    struct RowChain {
        let after: [String]
        let dependent: FolderKey
    }

    /// The rows of a plan with what they share.
    struct Listing {
        var rows: [Row]
        let models: [String]
        let lines: ScratchFile
        /// Every column and more of each row, for `--json` only (else empty).
        let columns: [JSONObject]
    }

    func listing(json: Bool) throws -> (listing: Listing, catalog: ModelCatalog?, superseded: [SupersededVideoJob]) {
        let configuration = try connection.loadConfiguration()
        let catalog = manifest.catalog(refresh: refreshModels, connection)
        let plan = manifest.loadUnvalidatedPlan(configuration: configuration, catalog: catalog)
        var rows: [Row] = []
        var columns: [JSONObject] = []
        let lines = ScratchFile()
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
        // A batch names a few models: each row holds its model's number.
        var models: [String] = []
        var modelNumbers: [String: Int32] = [:]
        planner.visit = { (task: MediaTask, key: String, listing: TaskListing?) in
            let listing = listing ?? describe(task, key)
            let after = task.hasReferences ? task.references.map(\.producerID) : []
            let model = modelNumbers[listing.model] ?? {
                models.append(listing.model)
                modelNumbers[listing.model] = Int32(models.count - 1)
                return Int32(models.count - 1)
            }()
            rows.append(Row(id: task.id, chain: after.isEmpty ? nil : RowChain(after: after, dependent: FolderKey(folder: task.output.folder, key: key)),
                            model: model, requests: listing.requests, estimate: listing.estimate, line: lines.append(listing.line)))
            if json { columns.append(Self.columns(task)) }
        }
        planner.decided = { index, state in rows[index].state = state }
        let selection: RunSelection
        do { selection = try planner.select(plan) } catch {
            switch error {
            case .manifest(let problems): throw CommandFailure.manifest(problems)
            case .file(let failure): throw CommandFailure.data(failure.description)
            }
        }
        Terminal.warn(plan.validationWarnings)
        if rows.contains(where: { $0.dependent != nil }) {
            let toRun = Set(selection.entries.flatMap { $0.tasks.map { FolderKey(folder: $0.folder, key: $0.key) } })
            let kept = Set(selection.kept.map { FolderKey(folder: $0.task.folder, key: $0.task.key) })
            // A task can only show as refused when it is neither run nor kept, which `--force`
            // (no journals read) never leaves: the planner's refused keys are the journals'.
            let refused = selection.refusedKeys
            let polled = Set(selection.entries.flatMap { $0.tasks.filter { $0.videoJob != nil }.map { FolderKey(folder: $0.folder, key: $0.key) } })
            let uncertain = Set(selection.uncertain.map { FolderKey(folder: $0.folder, key: $0.key) })
            for index in rows.indices {
                guard let id = rows[index].dependent else { continue }
                // A chain is sharded by its root's key.
                let shardKey = selection.chainRootKeys[rows[index].id] ?? id.key
                rows[index].state = polled.contains(id) ? .polled : uncertain.contains(id) ? .uncertain
                    : toRun.contains(id) ? .run : kept.contains(id) ? .kept
                    : shard.map { !$0.contains(key: shardKey) } == true ? .otherShard
                    : refused[id.folder]?.contains(id.key) == true && !retryRefused ? .refused : .done
            }
        }
        // A hundred thousand planned tasks take a while to free: not on this thread, which
        // has the listing to print.
        let superseded = selection.superseded
        Self.freeElsewhere(selection)
        let order = Self.producersFirst(rows)
        if json { columns = order.map { columns[$0] } }
        return (Listing(rows: order.map { rows[$0] }, models: models, lines: lines, columns: columns), catalog, superseded)
    }

    /// The order of the rows with each task that takes other tasks' outputs right after the
    /// last of its producers (the planner visits dependents last, producers first among them).
    static func producersFirst(_ rows: [Row]) -> [Int] {
        guard rows.contains(where: { !$0.after.isEmpty }) else { return Array(rows.indices) }
        var place: [String: (anchor: Int, depth: Int)] = [:]
        var order: [(anchor: Int, depth: Int, index: Int)] = []
        order.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            var spot = (anchor: index, depth: 0)
            if !row.after.isEmpty {
                spot = (-1, 0)
                for producer in row.after {
                    guard let at = place[producer] else { continue }
                    if at.anchor > spot.anchor || (at.anchor == spot.anchor && at.depth + 1 > spot.depth) { spot = (at.anchor, at.depth + 1) }
                }
            }
            place[row.id] = spot
            order.append((spot.anchor, spot.depth, index))
        }
        return order.sorted { ($0.anchor, $0.depth, $0.index) < ($1.anchor, $1.depth, $1.index) }.map(\.index)
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

    /// A task's output folder and key: what tells tasks apart across the listing.
    struct FolderKey: Hashable {
        let folder: String
        let key: String
    }

    func show(summary: Bool, json: Bool, all: Bool, colour: Bool = Terminal.colour) throws {
        let (listing, catalog, superseded) = try listing(json: json)
        let rows = listing.rows
        defer { Self.freeElsewhere(rows) }
        var byModel: [String: ModelLine] = [:]
        var counts: [State: Int] = [:]
        for row in rows {
            counts[row.state, default: 0] += 1
            guard row.state == .run else { continue }
            let model = listing.models[Int(row.model)]
            byModel[model, default: .init()].requests += Int(row.requests)
            if let estimate = row.estimate { byModel[model]!.cost += estimate } else { byModel[model]!.unpriced += Int(row.requests) }
        }
        let requests = byModel.values.reduce(0) { $0 + $1.requests }
        let cost = byModel.values.reduce(0.0) { $0 + $1.cost }
        let unpriced = byModel.values.reduce(0) { $0 + $1.unpriced }
        let unknown = unpriced == requests && requests > 0
        func count(_ state: State) -> Int { counts[state] ?? 0 }
        if json {
            var document: JSONObject = ["tasks": .array(zip(rows, listing.columns).map { Self.json($0, columns: $1, model: listing.models[Int($0.model)]) })]
            document["taskCount"] = .int(Int64(rows.count))
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
            Terminal.write(String(decoding: JSONEncoding.encodeForReading(.object(document)), as: UTF8.self) + "\n")
            return
        }
        if !summary && !Terminal.standardOutputIsTerminal {
            // What `Table` prints off a terminal (tab-separated cells, no header), written
            // without splitting each listing line into its cells and joining them again, a
            // block at a time (the whole listing of a big batch is tens of MiB).
            var text = ""
            for row in rows where all || row.state == .run {
                if text.utf8.count >= 1 << 16 {
                    Terminal.write(text)
                    text.removeAll(keepingCapacity: true)
                }
                text += listing.lines.text(at: row.line)
                text += "\t"
                text += row.estimate.map(Terminal.dollars) ?? "cost unknown"
                if all {
                    text += "\t"
                    text += row.state.rawValue
                }
                text += "\n"
            }
            Terminal.write(text)
        } else if !summary {
            var table = Table(["id", "type", "model", "ratio/voice", "size", "makes", "output", "estimate"] + (all ? ["state"] : []))
            for row in rows where all || row.state == .run {
                let cells = listing.lines.text(at: row.line).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                table.add(cells + [row.estimate.map(Terminal.dollars) ?? "cost unknown"] + (all ? [row.state.rawValue] : []))
            }
            table.print(colour: colour)
        }
        for model in byModel.keys.sorted() {
            let line = byModel[model]!
            let price = line.unpriced == line.requests ? "cost unknown" : Terminal.dollars(line.cost) + (line.unpriced > 0 ? " + \(line.unpriced) unpriced" : "")
            Terminal.output("\(model): \(line.requests) request\(line.requests == 1 ? "" : "s"), \(price)")
        }
        var total = "\(rows.count) task\(rows.count == 1 ? "" : "s"): \(count(.run)) to run, \(count(.done)) already done"
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
            var producers: [String] = []
            for reference in references where !producers.contains(reference.producerID) { producers.append(reference.producerID) }
            entry["after"] = .array(producers.map(JSON.string))
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

    private static func json(_ row: Row, columns: JSONObject, model: String) -> JSON {
        var entry = columns
        entry["state"] = .string(row.state.rawValue)
        entry["model"] = .string(model)
        entry["requests"] = .int(Int64(row.requests))
        entry["estimatedCost"] = row.estimate.map { .double(RunReport.money($0)) } ?? .null
        return .object(entry)
    }
}
