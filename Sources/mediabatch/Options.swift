import ArgumentParser
import Files
import Foundation
import HTTP
import JSON
import Manifest
import ManifestDiagnostics

import OpenRouter
import Runner
import Tasks

/// Where manifests are and where their files go: shared by every command that reads them.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files (.json, .jsonl) or folders of them; - reads one from standard input.", completion: .file(extensions: ["json", "jsonl"]))
    var manifests: [String]

    @Option(name: [.customShort("o"), .long], help: "Folder under which every manifest's output folder is made (default: the config file's outputRoot, else output).",
            completion: .directory)
    var outputRoot: String?

    @Option(help: "A JSON file of header fields (defaults, vars) for manifests, JSONL ones above all.", completion: .file(extensions: ["json"]))
    var defaults: String?

    @Option(help: "Refuse a batch that expands to more tasks than this.")
    var maxTasks: Int = ManifestLimits().maxTasks

    @Option(name: .customLong("max-manifest-mib"), help: "Refuse a manifest file larger than this many MiB.")
    var maxManifestMiB: Int = ManifestLimits().maxFileBytes >> 20

    @Option(name: .customLong("var"), help: ArgumentHelp("Set or override a template variable, name=value (repeatable).", valueName: "name=value"))
    var variables: [String] = []

    @Flag(help: "{date}, {time} and {run} in UTC instead of local time.")
    var utc = false

    @Option(name: .customLong("input-root"), help: "Another folder input files may come from, besides each manifest's own (repeatable; also inputRoots in the config file).")
    var inputRoots: [String] = []

    /// The `--var`, `--utc` and `--input-root` settings every manifest gets; `configRoots`
    /// are the settings file's `inputRoots`.
    func context(configRoots: [String] = []) -> ManifestContext {
        ManifestContext(
            variables: variables.compactMap(ManifestContext.parseVariable), utc: utc,
            inputRoots: (inputRoots + configRoots).compactMap { FileIO.realPath($0) })
    }

    func validate() throws {
        for variable in variables where ManifestContext.parseVariable(variable) == nil {
            throw ValidationError("--var takes name=value, the name letters, digits, '_' and '-' (got \(variable))")
        }
        for root in inputRoots where !FileIO.isDirectory(root) {
            throw ValidationError("--input-root \(root) is not a folder")
        }
    }

    var limits: ManifestLimits {
        ManifestLimits(maxFileBytes: max(maxManifestMiB, 1) << 20, maxTasks: max(maxTasks, 1))
    }

    @Flag(help: "Never fetch OpenRouter's model lists; check against the cached ones, however old.")
    var offline = false

    /// The model lists cached for `baseURL`, if any (stale ones too: offline is normal);
    /// lists cached from another base URL are none, said plainly on stderr.
    static func cachedCatalog(baseURL: String) -> ModelCatalog? {
        guard let path = CatalogCache.path(environment: ProcessInfo.processInfo.environment) else { return nil }
        switch CatalogCache.lookup(path: path, baseURL: baseURL) {
        case .lists(let catalog): return catalog
        case .none: return nil
        case .otherBaseURL(let recorded):
            Terminal.error(
                "note: the cached model lists are from \(recorded ?? "an unrecorded base URL"), not \(baseURL): not used for it")
            return nil
        }
    }

    /// The model lists for checks and prices. The cache serves while fresh; when it is
    /// missing or older than its TTL (or with `refresh`) the lists are fetched and cached.
    /// A fetch that fails leaves the stale cache, or nothing: either is said plainly on
    /// stderr, with what was not checked.
    func catalog(refresh: Bool, _ connection: ConnectionOptions) -> ModelCatalog? {
        let baseURL = connection.cacheBaseURL
        let cached = Self.cachedCatalog(baseURL: baseURL)
        if offline || (!refresh && cached.map { !$0.isStale } == true) {
            if cached == nil { Terminal.error(CatalogNotice.weaker(reason: "--offline, and no model lists cached for \(baseURL)")) }
            return cached
        }
        do { return try connection.fetchCatalog() } catch {
            let reason = (error as? CommandFailure)?.report.message ?? "\(error)"
            if let cached {
                Terminal.error("warning: cannot fetch OpenRouter's model lists (\(reason)); checking against the cached ones from \(CatalogNotice.age(cached)) ago")
            } else {
                Terminal.error(CatalogNotice.weaker(reason: "cannot fetch OpenRouter's model lists (\(reason)) and none are cached"))
            }
            return cached
        }
    }

    /// The output root: `--output-root`, else the config file's `outputRoot`, else `output`.
    func root(_ configuration: Configuration?) -> String {
        FileIO.absolute(outputRoot ?? configuration?.outputRoot ?? "output")
    }

    func loadPlan(catalog: ModelCatalog?, configuration: Configuration? = nil, visit: ((MediaTask) -> Void)? = nil) throws -> BatchPlan {
        do {
            let plan = try BatchPlan(
                paths: manifests, outputRoot: root(configuration), defaultsFile: defaults, catalog: catalog, limits: limits,
                context: context(configRoots: configuration?.inputRoots ?? []), visit: visit)
            Terminal.warn(plan.warnings + plan.validationWarnings)
            return plan
        } catch {
            throw CommandFailure.manifest(error)
        }
    }

    /// The manifests read down to their headers; validation comes with the run's preparation.
    func loadUnvalidatedPlan(configuration: Configuration?, catalog: ModelCatalog? = nil) -> BatchPlan {
        let plan = BatchPlan(
            loading: manifests, outputRoot: root(configuration), defaultsFile: defaults, catalog: catalog, limits: limits,
            context: context(configRoots: configuration?.inputRoots ?? []))
        Terminal.warn(plan.warnings)
        return plan
    }

    /// `--keep-going`: the plan of the valid manifests, validated once as a whole by
    /// `prepare` (the run's planner), and the problems of the others (reported at once, and
    /// again as the run's exit code). A manifest with a problem is left out and the rest
    /// planned again, so a clash between two manifests (the same output file) leaves out
    /// the later one. Only when a problem cannot be told to one manifest (in a rows file)
    /// are the manifests checked one by one.
    func prepareValidManifests(
        configuration: Configuration?, catalog: ModelCatalog? = nil, prepare: (BatchPlan) throws(PreparationError) -> RunSelection
    ) throws -> (plan: BatchPlan, selection: RunSelection, invalid: ManifestError?) {
        let context = context(configRoots: configuration?.inputRoots ?? [])  // one clock for every manifest of the run
        let (files, issues, notes) = ManifestPaths.files(manifests)
        for note in notes { Terminal.error("note: \(note)") }
        var valid = files
        var problems = issues
        func load(_ paths: [String]) -> BatchPlan {
            BatchPlan(loading: paths, outputRoot: root(configuration), defaultsFile: defaults, catalog: catalog, limits: limits, context: context)
        }
        while true {
            let plan = load(valid)
            do throws(PreparationError) {
                let selection = try prepare(plan)
                let invalid = problems.isEmpty ? nil : ManifestError(issues: problems)
                if let invalid { Terminal.error("--keep-going: skipping invalid manifests:\n\(invalid)") }
                Terminal.warn(plan.warnings + plan.validationWarnings)
                return (plan, selection, invalid)
            } catch {
                guard case .manifest(let error) = error else { throw CommandFailure.file(failureOf(error)) }
                let bad = Set(error.issues.map(\.file)).intersection(valid)
                guard !bad.isEmpty, error.issues.allSatisfy({ bad.contains($0.file) }) else {
                    // A problem not in a manifest's own text: find the bad ones one by one.
                    let before = valid.count
                    valid = valid.filter { file in
                        do throws(ManifestError) {
                            _ = try BatchPlan(paths: [file], outputRoot: root(configuration), defaultsFile: defaults, catalog: catalog, limits: limits, context: context)
                            return true
                        } catch {
                            problems += error.issues
                            return false
                        }
                    }
                    if valid.count == before { throw CommandFailure.manifest(error) }  // all pass alone: the problem is between them
                    continue
                }
                problems += error.issues
                valid.removeAll { bad.contains($0) }
            }
        }
    }

    private func failureOf(_ error: PreparationError) -> FileError {
        if case .file(let failure) = error { return failure }
        preconditionFailure("only file errors are passed here")
    }
}

/// How to reach OpenRouter: shared by every command that can send a request.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "API base URL (default: $OPENROUTER_BASE_URL, the config file's baseURL, else https://openrouter.ai/api/v1).")
    var baseURL: String?

    @Option(help: "Settings file (default: $XDG_CONFIG_HOME/mediabatch/config.json).", completion: .file(extensions: ["json"]))
    var config: String?

    @Flag(name: .shortAndLong, help: "Print every HTTP request and answer on stderr (keys redacted, bodies cut short).")
    var verbose = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The settings file, with a warning on stderr when others can read it.
    func loadConfiguration() throws -> Configuration { try Self.loadConfiguration(path: config) }

    /// The settings file at `path` (a required one), else the default one if it exists.
    static func loadConfiguration(path: String?) throws -> Configuration {
        do {
            let configuration = try Configuration.load(
                path: path ?? Configuration.defaultPath(environment: ProcessInfo.processInfo.environment), required: path != nil)
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
            do { try CatalogCache.save(fresh, baseURL: endpoint.baseURL, path: cache) } catch { Terminal.error("warning: cannot cache the model lists: \(error)") }
        }
        return fresh
    }

    /// The base URL whose cached model lists apply: as `resolvedBaseURL`, with an unreadable
    /// settings file read as none (the command reports it when it needs the file).
    var cacheBaseURL: String {
        resolvedBaseURL((try? Configuration.load(path: config ?? Configuration.defaultPath(environment: environment), required: false)) ?? Configuration())
    }

    func resolvedBaseURL(_ configuration: Configuration) -> String {
        baseURL ?? environment["OPENROUTER_BASE_URL"] ?? configuration.baseURL ?? OpenRouterEndpoint.officialBaseURL
    }

    /// The base URL, refused as a usage error when it cannot be one (see `BaseURLCheck`),
    /// naming where it came from.
    func validatedBaseURL(_ configuration: Configuration) throws -> String {
        let url = resolvedBaseURL(configuration)
        guard let problem = BaseURLCheck.problem(url) else { return url }
        let origin = baseURL != nil ? "--base-url" : environment["OPENROUTER_BASE_URL"] != nil ? "OPENROUTER_BASE_URL"
            : "baseURL in \(configuration.path ?? "the config file")"
        throw CommandFailure.usage("the base URL \"\(url)\" (\(origin)) \(problem), e.g. \(OpenRouterEndpoint.officialBaseURL)")
    }

    /// The endpoints for image and speech requests, or a one-line error and exit when the
    /// base URL is malformed or there is no key.
    func endpoints(_ configuration: Configuration) throws -> (image: OpenRouterEndpoint, speech: OpenRouterEndpoint) {
        let url = try validatedBaseURL(configuration)
        guard let key = configuration.imageKey(environment: environment) ?? configuration.speechAPIKey(environment: environment) else {
            throw CommandFailure.configuration(
                "no API key: set OPENROUTER_API_KEY or providers.openrouter.apiKey in the config file (https://openrouter.ai/keys)")
        }
        // Either key serves both when only one is set (the guard above took the image key first).
        return (OpenRouterEndpoint(baseURL: url, apiKey: key),
                OpenRouterEndpoint(baseURL: url, apiKey: configuration.speechAPIKey(environment: environment) ?? key))
    }
}

/// Whether a text can be an API base URL: `http` or `https`, a host (a name, an IPv4
/// address or a bracketed IPv6 one), an optional port, an optional path; no spaces or
/// control characters, no query or fragment (request paths are appended to it).
enum BaseURLCheck {
    /// What is wrong with `url`, worded to follow "the base URL ...", or nil when nothing is.
    static func problem(_ url: String) -> String? {
        if url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a space or a control character"
        }
        guard let scheme = ["https://", "http://"].first(where: { url.lowercased().hasPrefix($0) }) else {
            return "must start with https:// or http://"
        }
        let rest = url.dropFirst(scheme.count)
        if rest.contains("?") || rest.contains("#") { return "must not have a query or a fragment" }
        var authority = rest.prefix { $0 != "/" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "has an unclosed [ in its host" }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "has text after its IPv6 host" }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        if host.isEmpty || host == "[]" { return "has no host" }
        if !host.hasPrefix("["), !host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) {
            return "has a host that is not a host name or address"
        }
        if let port, !(port.allSatisfy({ $0.isASCII && $0.isNumber }) && Int(port).map({ (1...65535).contains($0) }) == true) {
            return "has a port that is not a number from 1 to 65535"
        }
        return nil
    }
}
