import ArgumentParser
import Files
import Foundation
import HTTP
import JSON
import Manifest

import OpenRouter
import Runner
import Tasks

/// Where manifests are and where their files go: shared by every command that reads them.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files (.json, .jsonl) or folders of them.")
    var manifests: [String]

    @Option(help: "Folder under which every manifest's output folder is made.")
    var outputRoot: String = "output"

    @Option(help: "A JSON file of header fields (defaults, vars) for manifests, JSONL ones above all.")
    var defaults: String?

    @Option(help: "Refuse a batch that expands to more tasks than this.")
    var maxTasks: Int = ManifestLimits().maxTasks

    @Option(name: .customLong("max-manifest-mib"), help: "Refuse a manifest file larger than this many MiB.")
    var maxManifestMiB: Int = ManifestLimits().maxFileBytes >> 20

    var limits: ManifestLimits {
        ManifestLimits(maxFileBytes: max(maxManifestMiB, 1) << 20, maxTasks: max(maxTasks, 1))
    }

    /// The model lists `mediabatch models` cached, if any (stale ones too: offline is normal).
    var cachedCatalog: ModelCatalog? {
        CatalogCache.path(environment: ProcessInfo.processInfo.environment).flatMap(CatalogCache.load)
    }

    /// The model lists for validation: with `refresh` fetched anew and cached (a failure
    /// is a warning, and the cached lists serve), else the cached ones.
    func catalog(refresh: Bool, _ connection: ConnectionOptions) throws -> ModelCatalog? {
        guard refresh else { return cachedCatalog }
        do { return try connection.fetchCatalog() } catch {
            Terminal.error("warning: cannot refresh the model lists: \(error)")
            return cachedCatalog
        }
    }

    func loadPlan(catalog: ModelCatalog?, visit: ((MediaTask) -> Void)? = nil) throws -> BatchPlan {
        do {
            return try BatchPlan(paths: manifests, outputRoot: FileIO.absolute(outputRoot), defaultsFile: defaults, catalog: catalog, limits: limits, visit: visit)
        } catch {
            throw CommandFailure.manifest(error)
        }
    }

    /// The manifests read down to their headers; validation comes with the run's preparation.
    func loadUnvalidatedPlan() -> BatchPlan {
        BatchPlan(loading: manifests, outputRoot: FileIO.absolute(outputRoot), defaultsFile: defaults, catalog: cachedCatalog, limits: limits)
    }
}

/// How to reach OpenRouter: shared by every command that can send a request.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "API base URL (default: $OPENROUTER_BASE_URL, the config file's baseURL, else https://openrouter.ai/api/v1).")
    var baseURL: String?

    @Option(help: "Settings file (default: $XDG_CONFIG_HOME/mediabatch/config.json).")
    var config: String?

    @Flag(name: .shortAndLong, help: "Print every HTTP request and answer on stderr (keys redacted, bodies cut short).")
    var verbose = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The settings file, with a warning on stderr when others can read it.
    func loadConfiguration() throws -> Configuration {
        do {
            let configuration = try Configuration.load(
                path: config ?? Configuration.defaultPath(environment: environment), required: config != nil)
            if let warning = configuration.permissionWarning { Terminal.error("warning: " + warning) }
            return configuration
        } catch {
            throw CommandFailure.configuration(error.description)
        }
    }

    /// The `--verbose` trace, redacting every key these endpoints carry; nil without the flag.
    func trace(for endpoints: [OpenRouterEndpoint]) -> HTTPTrace? {
        guard verbose else { return nil }
        return HTTPTrace(secrets: endpoints.map(\.apiKey)) { Terminal.standardError("mediabatch: http " + $0) }
    }

    /// Fetches OpenRouter's model lists (traced with `--verbose`) and caches them; a cache
    /// that cannot be written is a warning.
    func fetchCatalog() throws -> ModelCatalog {
        MediaBatchRuntime.start()
        let endpoint = try endpoints(try loadConfiguration()).image
        let fresh = try OpenRouterClient(endpoint: endpoint).catalog(on: try HTTPConnection(trace: trace(for: [endpoint])))
        if let cache = CatalogCache.path(environment: environment) {
            do { try CatalogCache.save(fresh, path: cache) } catch { Terminal.error("warning: cannot cache the model lists: \(error)") }
        }
        return fresh
    }

    func resolvedBaseURL(_ configuration: Configuration) -> String {
        baseURL ?? environment["OPENROUTER_BASE_URL"] ?? configuration.baseURL ?? OpenRouterEndpoint.officialBaseURL
    }

    /// The endpoints for image and speech requests, or a one-line error and exit when
    /// there is no key.
    func endpoints(_ configuration: Configuration) throws -> (image: OpenRouterEndpoint, speech: OpenRouterEndpoint) {
        let url = resolvedBaseURL(configuration)
        guard let key = configuration.imageKey(environment: environment) ?? configuration.speechAPIKey(environment: environment) else {
            throw CommandFailure.configuration(
                "no API key: set OPENROUTER_API_KEY or providers.openrouter.apiKey in the config file (https://openrouter.ai/keys)")
        }
        // Either key serves both when only one is set (the guard above took the image key first).
        return (OpenRouterEndpoint(baseURL: url, apiKey: key),
                OpenRouterEndpoint(baseURL: url, apiKey: configuration.speechAPIKey(environment: environment) ?? key))
    }
}
