
import ArgumentParser
import Foundation
import JSON
import Manifest
import Journal
import Narration
import Runner
import Tasks

/// `mediabatch plan`: a dry run of `run`. Validates, reads the journals as a run would, and
/// shows what a run would send now, task by task, with an estimated cost for those; the
/// tasks already done, kept or refused before are counted, not sent. Sends nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would send now (N to run, M already done) with an estimated cost. Sends nothing.",
        discussion: """
            A dry run of `mediabatch run` (which `run --dry-run` is too): the journals say which tasks are already done             (files intact), kept or refused before; the rest are listed, and their estimate given. The tasks go to stdout             (tab-separated through a pipe, a table with a header on a terminal; --all lists every task with its state),             then the totals per model and overall. A task that takes another task's output (`"inputImages": "@shot"`)             is listed right after its producer, its id shown as `variant ← @shot` (in --json: `references` and `after`).             Prices come from the model list `mediabatch models` caches (or             --refresh-models fetches); without it, or for a model it does not price, the cost shows as unknown, never as $0.

            Example: mediabatch plan jobs/ -o /srv/images
            """)

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Fetch OpenRouter's model lists first (for stricter checks and prices).")
    var refreshModels = false

    @Flag(help: "Print only the totals.")
    var summary = false

    @Flag(help: "Print the plan as JSON on stdout: every task with every column and its state, and the totals.")
    var json = false

    @Flag(help: "List every task, with its state (run, done, kept, refused, other shard), not only those to run.")
    var all = false

    @Option(help: "Plan only shard i of n, as `run --shard` would run it.")
    var shard: String?

    @Flag(help: "Plan as `run --force` would: every task runs again.")
    var force = false

    @Flag(help: "Plan as `run --retry-refused` would: the tasks refused before run again.")
    var retryRefused = false

    func run() throws {
        let shard = try shard.map { text -> Shard in
            guard let shard = Shard(text) else { throw ValidationError("--shard takes i/n with 0 <= i < n, e.g. 0/4") }
            return shard
        }
        try DryRun(manifest: manifest, connection: connection, refreshModels: refreshModels, shard: shard, force: force,
                   retryRefused: retryRefused).show(summary: summary, json: json, all: all, colour: output.colour)
    }

    /// `run --dry-run`: the plan of that run.
    static func dryRun(of run: RunCommand) throws {
        try DryRun(manifest: run.manifest, connection: run.connection, refreshModels: false, shard: try run.resolvedShard(), force: run.force,
                   retryRefused: run.retryRefused).show(summary: false, json: run.json, all: false)
    }

    /// A narration's chunks as the run would split them, how many earlier runs kept (bought
    /// already), and the characters of the others.
    struct NarrationChunksToBuy: Sendable {
        let chunks: Int
        let kept: Int
        let charactersToBuy: Int
    }

    /// The model, request count, estimated cost (nil: unknown) and listing line of a task.
    /// `describe` as a `TaskListing`.
    @Sendable static func listing(_ task: MediaTask, catalog: ModelCatalog?, narration: NarrationChunksToBuy? = nil) -> TaskListing {
        let (model, requests, estimate, line) = describe(task, catalog: catalog, narration: narration)
        return TaskListing(model: model, requests: requests, estimate: estimate, line: line)
    }

    /// `narration`: for a narration, its chunks as the run would split them and those kept
    /// by earlier runs (which cost nothing again); without it, every chunk is to buy.
    static func describe(_ task: MediaTask, catalog: ModelCatalog?, narration: NarrationChunksToBuy? = nil) -> (String, Int, Double?, String) {
        // A task that takes other tasks' outputs names them after its id: `variant ← @shot`.
        let references = task.references
        let id = references.isEmpty ? task.id : task.id + " ← " + references.map(\.description).joined(separator: " ")
        switch task {
        case .image(let image):
            let model = image.model.wireID
            // openrouter/auto picks a model per prompt: its price cannot be known in advance.
            let estimate = CostEstimate.image(image, catalog: catalog)
            let images = image.imagesPerRequest
            var line = "\(id)\timage\t\(model)\t\(image.aspectRatio ?? "-")\t\(image.resolution ?? "-")"
            line += "\t\(images) image\(images == 1 ? "" : "s")\t\(image.output.folder)/\(image.output.baseName).*"
            return (model, 1, estimate, line)
        case .speech(let speech):
            let model = speech.model.wireID
            // As the run splits it: a chunk per voice stretch (dialogue), none ending on a heading.
            let layout = SplitLayout(sections: speech.voiceRuns.map(\.range), headings: speech.headings)
            let chunks = narration?.chunks ?? NarrationSplitter.spans(Array(speech.text), maxChars: speech.maxChars, keeping: .none, layout: layout).count
            let kept = narration?.kept ?? 0
            // The same columns as images and videos: a narration has no size ("-").
            var line = "\(id)\ttts\t\(model)\t\(speech.allVoices.joined(separator: "+"))\t-\t\(speech.text.count) chars in \(chunks) chunk\(chunks == 1 ? "" : "s")"
            if kept > 0 { line += ", \(kept) kept" }
            line += "\t\(speech.output.folder)/\(speech.output.baseName).\(speech.format.fileExtension)"
            // Kept chunks cost nothing again: only the characters still to buy are priced.
            let estimate = CostEstimate.speech(speech, catalog: catalog).map { whole in
                narration.map { whole * Double($0.charactersToBuy) / Double(max(speech.text.count, 1)) } ?? whole
            }
            return (model, chunks - kept, estimate, line)
        case .video(let video):
            let model = video.model.wireID
            let seconds = video.duration.map { "\($0) s" } ?? "default length"
            // Two columns either way (ratio, size): a pipe's reader counts on them.
            let shape = video.size.map { "-\t\($0)" } ?? "\(video.aspectRatio ?? "-")\t\(video.resolution ?? "-")"
            var line = "\(video.id)\tvideo\t\(model)\t\(shape)\t\(seconds)"
            if let frame = video.firstFrame { line += " from \(frame.location)" }
            if let frame = video.lastFrame { line += " to \(frame.location)" }
            line += "\t\(video.output.folder)/\(video.output.baseName).mp4"
            return (model, 1, CostEstimate.video(video, catalog: catalog), line)
        }
    }
}
