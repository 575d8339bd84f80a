import ArgumentParser
import Foundation

import OpenRouter
import Runner
import Tasks

/// `mediabatch config show`: the settings a run would use, and where each comes from, with
/// keys redacted.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective settings (keys redacted).",
        discussion: "Example: mediabatch config show --config ~/batches/config.json",
        subcommands: [Show.self],
        defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the effective settings, keys redacted.")

        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let configuration = try connection.loadConfiguration()
            let environment = connection.environment
            func source(_ flag: Bool, _ variable: String?, _ file: Bool) -> String {
                flag ? "command line" : variable != nil ? "environment" : file ? "config file" : "default"
            }
            let baseURL = connection.resolvedBaseURL(configuration)
            Terminal.output("config file\t\(configuration.path ?? "(none) " + (Configuration.defaultPath(environment: environment) ?? ""))")
            Terminal.output("base URL\t\(baseURL)\t(\(source(connection.baseURL != nil, environment["OPENROUTER_BASE_URL"], configuration.baseURL != nil)))")
            let imageKey = configuration.imageKey(environment: environment)
            let speechKey = configuration.speechAPIKey(environment: environment)
            Terminal.output("image key\t\(Self.redact(imageKey))\t(\(configuration.providerKey != nil ? "config file: providers.openrouter.apiKey" : imageKey != nil ? "environment: OPENROUTER_API_KEY" : "missing"))")
            Terminal.output("speech key\t\(Self.redact(speechKey))\t(\(configuration.speechKey != nil ? "config file: tts.apiKey" : speechKey != nil ? "same as image key" : "missing"))")
            func setting(_ name: String, _ value: CustomStringConvertible?, default fallback: String?) {
                let shown = value.map { "\($0)" } ?? fallback ?? "(unset)"
                Terminal.output("\(name)\t\(shown)\t(\(value != nil ? "config file" : fallback != nil ? "default" : "unset"))")
            }
            setting("outputRoot", configuration.outputRoot, default: "output")
            setting("concurrency", configuration.concurrency, default: "4")
            setting("rpm", configuration.rpm, default: nil)
            setting("maxCost", configuration.maxCost, default: nil)
            setting("maxTotalCost", configuration.maxTotalCost, default: nil)
            setting("timeout", configuration.timeout, default: "300")
            setting("maxAttempts", configuration.maxAttempts, default: "6")
            Terminal.output("attribution\t\(OpenRouterEndpoint(baseURL: baseURL, apiKey: "").isOfficial ? "sent (HTTP-Referer, X-OpenRouter-Title, X-OpenRouter-Categories)" : "not sent (not OpenRouter's own URL)")")
            let cache = CatalogCache.path(environment: environment)
            let catalog = cache.flatMap { CatalogCache.load(path: $0, baseURL: baseURL) }
            Terminal.output("model lists\t\(cache ?? "-")\t(\(catalog.map { $0.isStale ? "cached, stale" : "cached" } ?? "not cached for this base URL"))")
        }

        /// `sk-or-v1-…abcd`: enough to tell keys apart, never enough to use one.
        static func redact(_ key: String?) -> String {
            guard let key else { return "(none)" }
            guard key.count > 12 else { return "(set, \(key.count) characters)" }
            return String(key.prefix(6)) + "…" + String(key.suffix(4))
        }
    }
}
