import ArgumentParser
import Foundation

import Runner
import Tasks

/// `mediabatch models`: the models OpenRouter offers for images, speech or video, with
/// prices, voices and video durations, cached for `validate`, `plan` and `run`.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List OpenRouter's image, speech and video models (cached for a day; used offline by validate, plan and run).",
        discussion: "Example: mediabatch models --speech")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Only image models.")
    var image = false

    @Flag(help: "Only speech models.")
    var speech = false

    @Flag(help: "Only video models.")
    var video = false

    @Flag(help: "Fetch the lists again even if the cache is fresh.")
    var refresh = false

    func run() throws {
        MediaBatchRuntime.start()
        let environment = ProcessInfo.processInfo.environment
        guard let cache = CatalogCache.path(environment: environment) else {
            throw CommandFailure.configuration("no cache folder: set XDG_CACHE_HOME or HOME")
        }
        var catalog = CatalogCache.load(path: cache, baseURL: connection.cacheBaseURL)
        if refresh || catalog == nil || catalog!.isStale {
            do { catalog = try connection.fetchCatalog() } catch let failure as CommandFailure {
                throw failure
            } catch {
                guard catalog != nil else { throw CommandFailure.unavailable("cannot fetch the model lists: \(error)") }
                Terminal.error("warning: cannot refresh the model lists (\(error)); showing the cached ones")
            }
        }
        guard let catalog else { return }
        let all = !image && !speech && !video
        let showImages = image || all
        let showSpeech = speech || all
        let showVideo = video || all
        var table = Table(["model", "type", "price", "details"])
        if showImages {
            for model in catalog.imageModels {
                let price = model.pricePerImage.map { Terminal.price($0, per: "image") }
                    ?? CostEstimate.perImage(model, tier: "1K").map { "~" + Terminal.price($0, per: "image") + " at 1K (token-priced)" }
                    ?? "price varies or unknown"
                let path = catalog.images[model.id] == nil ? "chat" : "chat,images"
                table.add([model.id, "image", price, "\(model.outputModalities.joined(separator: "+")) via \(path)"])
            }
        }
        if showSpeech {
            for model in catalog.speechModels {
                let price = model.pricePerCharacter.map { Terminal.price($0, per: "char") + " (" + Terminal.price($0 * 1_000_000, per: "1M chars") + ")" }
                table.add([model.id, "speech", price ?? "price varies or unknown", "voices: \(model.voices.joined(separator: ","))"])
            }
        }
        if showVideo {
            for model in catalog.videos.values.sorted(by: { $0.id < $1.id }) {
                let price = model.pricePerSecond(resolution: nil, audio: false).map { Terminal.price($0, per: "second") }
                    ?? "per second by resolution or audio, or unknown: " + model.pricingSKUs.keys.sorted().joined(separator: ",")
                var details = ["durations: " + (model.durations.map { $0.map(String.init).joined(separator: ",") } ?? "any")]
                if let resolutions = model.resolutions { details.append(resolutions.joined(separator: ",")) }
                if let frames = model.frameImages { details.append("frames: " + (frames.isEmpty ? "none" : frames.joined(separator: ","))) }
                table.add([model.id, "video", price, details.joined(separator: "; ")])
            }
        }
        table.print(colour: output.colour)
    }
}
