
import ArgumentParser
import Foundation
import JSON
import Manifest
import Narration
import Tasks

/// `mediabatch plan`: shows what a run would send, task by task, with an estimated cost.
/// Sends nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the expanded tasks, the request count and an estimated cost. Sends nothing.",
        discussion: """
            Prices come from the model list `mediabatch models` caches (or --refresh-models fetches); without it, or for a model it does not price, the cost shows as unknown, never as $0.

            Example: mediabatch plan jobs/ --output-root /srv/images
            """)

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Fetch OpenRouter's model lists first (for stricter checks and prices).")
    var refreshModels = false

    @Flag(help: "Print only the totals.")
    var summary = false

    @Flag(help: "Print the plan as JSON on stdout.")
    var json = false

    /// Requests, estimated dollars and unpriced requests for one model.
    struct ModelLine {
        var requests = 0
        var cost = 0.0
        var unpriced = 0
    }

    func run() throws {
        let catalog = try manifest.catalog(refresh: refreshModels, connection)
        // One pass: tasks are listed as validation expands them, and printed only if valid.
        var listing = ""
        var tasks: [JSON] = []
        var byModel: [String: ModelLine] = [:]
        let (summaryOnly, asJSON) = (summary, json)
        let plan = try manifest.loadPlan(catalog: catalog, configRoots: connection.configuredInputRoots) { task in
            let (model, requests, estimate, line) = Self.describe(task, catalog: catalog)
            byModel[model, default: ModelLine()].requests += requests
            if let estimate { byModel[model]!.cost += estimate } else { byModel[model]!.unpriced += requests }
            if asJSON {
                var entry: JSONObject = ["id": .string(task.id), "model": .string(model), "requests": .int(Int64(requests))]
                entry["estimatedCost"] = estimate.map(JSON.double) ?? .null
                entry["output"] = .string(task.output.folder + "/" + task.output.baseName)
                tasks.append(.object(entry))
            } else if !summaryOnly {
                listing += line + "\t" + (estimate.map(Terminal.dollars) ?? "cost unknown") + "\n"
            }
        }
        let requests = byModel.values.reduce(0) { $0 + $1.requests }
        let cost = byModel.values.reduce(0.0) { $0 + $1.cost }
        let unpriced = byModel.values.reduce(0) { $0 + $1.unpriced }
        if asJSON {
            let document: JSON = [
                "tasks": .array(tasks), "taskCount": .int(Int64(plan.taskCount)), "requests": .int(Int64(requests)),
                "estimatedCost": unpriced == requests && requests > 0 ? .null : .double(cost), "unpricedRequests": .int(Int64(unpriced)),
            ]
            Terminal.write(String(decoding: JSONEncoding.encode(document), as: UTF8.self) + "\n")
            return
        }
        if !listing.isEmpty { Terminal.write(listing) }
        for model in byModel.keys.sorted() {
            let line = byModel[model]!
            let price = line.unpriced == line.requests ? "cost unknown" : Terminal.dollars(line.cost) + (line.unpriced > 0 ? " + \(line.unpriced) unpriced" : "")
            Terminal.standardError("\(model): \(line.requests) request\(line.requests == 1 ? "" : "s"), \(price)")
        }
        var total = "\(plan.taskCount) task\(plan.taskCount == 1 ? "" : "s"), \(requests) request\(requests == 1 ? "" : "s"), estimated cost "
        total += unpriced == requests && requests > 0 ? "unknown" : Terminal.dollars(cost) + (unpriced > 0 ? " (+ \(unpriced) requests of unknown price)" : "")
        if catalog == nil { total += " (run `mediabatch models` to cache prices)" }
        Terminal.standardError(total)
    }

    /// The model, request count, estimated cost (nil: unknown) and listing line of a task.
    static func describe(_ task: MediaTask, catalog: ModelCatalog?) -> (String, Int, Double?, String) {
        switch task {
        case .image(let image):
            let model = image.model.wireID
            // openrouter/auto picks a model per prompt: its price cannot be known in advance.
            let perImage = image.model.isAuto ? nil : catalog?.models[model]?.pricePerImage
            let images = image.imagesPerRequest
            var line = "\(image.id)\timage\t\(model)\t\(image.aspectRatio ?? "-")\t\(image.resolution ?? "-")"
            line += "\t\(image.output.folder)/\(image.output.baseName).*"
            return (model, 1, perImage.map { $0 * Double(images) }, line)
        case .speech(let speech):
            let model = speech.model.wireID
            let chunks = NarrationSplitter.split(speech.text, maxChars: speech.maxChars).count
            let perCharacter = catalog?.models[model]?.pricePerCharacter
            var line = "\(speech.id)\ttts\t\(model)\t\(speech.voice)\t\(speech.text.count) chars in \(chunks) chunk\(chunks == 1 ? "" : "s")"
            line += "\t\(speech.output.folder)/\(speech.output.baseName).\(speech.format.fileExtension)"
            return (model, chunks, perCharacter.map { $0 * Double(speech.text.count) }, line)
        }
    }
}
