import ArgumentParser
import MediaBatch

/// `mediabatch plan`: shows what a run would send, task by task. Sends nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the expanded tasks and the number of requests. Sends nothing.",
        discussion: "Example: mediabatch plan jobs/ --output-root /srv/images")

    @OptionGroup var manifest: ManifestOptions

    @Flag(help: "Print only the totals.")
    var summary = false

    func run() throws {
        // One pass: tasks are listed as validation expands them, and printed only if valid.
        var listing = ""
        var requests = 0
        var byModel: [String: Int] = [:]
        let summaryOnly = summary
        let plan = try manifest.loadPlan { task in
            switch task {
            case .image(let image):
                requests += 1
                byModel[image.model.wireID, default: 0] += 1
                if !summaryOnly {
                    listing += "\(image.id)\timage\t\(image.model.wireID)\t\(image.aspectRatio ?? "-")\t\(image.resolution ?? "-")"
                    listing += "\t\(image.output.folder)/\(image.output.baseName).*\n"
                }
            case .speech(let speech):
                let chunks = speech.chunks.count
                requests += chunks
                byModel[speech.model.wireID, default: 0] += chunks
                if !summaryOnly {
                    listing += "\(speech.id)\ttts\t\(speech.model.wireID)\t\(speech.voice)\t\(speech.text.count) chars in \(chunks) chunk\(chunks == 1 ? "" : "s")"
                    listing += "\t\(speech.output.folder)/\(speech.output.baseName).\(speech.format.fileExtension)\n"
                }
            }
        }
        if !listing.isEmpty { Terminal.write(listing) }
        for model in byModel.keys.sorted() { Terminal.standardError("\(model): \(byModel[model]!) request\(byModel[model]! == 1 ? "" : "s")") }
        Terminal.standardError("\(plan.taskCount) task\(plan.taskCount == 1 ? "" : "s"), \(requests) request\(requests == 1 ? "" : "s")")
    }
}
