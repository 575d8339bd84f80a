import ArgumentParser
import Foundation
import MediaBatch

/// Where manifests are and where their files go: shared by every command that reads them.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files (.json, .jsonl) or folders of them.")
    var manifests: [String]

    @Option(help: "Folder under which every manifest's output folder is made.")
    var outputRoot: String = "output"

    @Option(help: "A JSON file of header fields (defaults, vars) for manifests, JSONL ones above all.")
    var defaults: String?

    func loadPlan(visit: ((MediaTask) -> Void)? = nil) throws -> BatchPlan {
        do {
            return try BatchPlan(paths: manifests, outputRoot: FileIO.absolute(outputRoot), defaultsFile: defaults, visit: visit)
        } catch {
            Terminal.error(error.description)
            Terminal.error("\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s") found; nothing was sent.")
            throw ExitCode(ExitCodes.dataError)
        }
    }
}

/// How to reach OpenRouter: shared by every command that can send a request.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "API base URL (default: $OPENROUTER_BASE_URL, else https://openrouter.ai/api/v1).")
    var baseURL: String?

    var resolvedBaseURL: String {
        baseURL ?? ProcessInfo.processInfo.environment["OPENROUTER_BASE_URL"] ?? OpenRouterEndpoint.officialBaseURL
    }

    /// The endpoint with its key, or a one-line error and exit when there is no key.
    func endpoint() throws -> OpenRouterEndpoint {
        guard let key = ProcessInfo.processInfo.environment["OPENROUTER_API_KEY"], !key.isEmpty else {
            Terminal.error("no API key: set OPENROUTER_API_KEY (https://openrouter.ai/keys)")
            throw ExitCode(ExitCodes.configError)
        }
        return OpenRouterEndpoint(baseURL: resolvedBaseURL, apiKey: key)
    }
}

/// The exit codes, after sysexits(3); documented in the README.
enum ExitCodes {
    static let success: Int32 = 0
    static let someFailed: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let cantCreate: Int32 = 73
    static let tempFail: Int32 = 75
    static let configError: Int32 = 78
}
