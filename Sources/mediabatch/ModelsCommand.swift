import ArgumentParser
import Foundation

import Runner
import Tasks

/// `mediabatch models`: the models OpenRouter offers for images or speech, with prices
/// and voices, cached for `validate`, `plan` and `run`.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List OpenRouter's image and speech models (cached for a day; used offline by validate, plan and run).",
        discussion: "Example: mediabatch models --speech")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Only image models.")
    var image = false

    @Flag(help: "Only speech models.")
    var speech = false

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
        let showImages = image || !speech
        let showSpeech = speech || !image
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
        table.print(colour: output.colour)
    }
}
