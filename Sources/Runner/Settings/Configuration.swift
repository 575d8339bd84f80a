import Files
import Glibc
import JSON
import Support

/// The user's settings file (`$XDG_CONFIG_HOME/mediabatch/config.json`, or `--config`):
/// keys, base URL and run defaults, so that cron lines stay short and keys stay out of
/// manifests.
///
/// ```json
/// {"baseURL": "https://openrouter.ai/api/v1",
///  "providers": {"openrouter": {"apiKey": "sk-or-..."}},
///  "tts": {"apiKey": "sk-or-..."},
///  "concurrency": 8, "outputRoot": "/srv/media", "maxCost": 5}
/// ```
/// Run defaults (each one a command-line option wins over): `outputRoot`, `concurrency`,
/// `rpm`, `maxCost`, `maxTotalCost`, `timeout`, `maxAttempts`.
public struct Configuration: Sendable {
    public var path: String?
    public var baseURL: String?
    public var providerKey: String?
    public var speechKey: String?
    public var concurrency: Int?
    /// Run defaults: the output root, requests per minute, budgets, per-attempt timeout, attempts.
    public var outputRoot: String?
    public var rpm: Int?
    public var maxCost: Double?
    public var maxTotalCost: Double?
    public var timeout: Double?
    public var maxAttempts: Int?
    /// `inputRoots`: folders input files may also come from, like `--input-root`
    /// (relative ones start at the settings file's folder).
    public var inputRoots: [String] = []
    /// Set when the file can be read by other users (it may hold keys).
    public var permissionWarning: String?

    public init() {}

    /// Why the settings file cannot be used.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }
    }

    /// The default location: `$XDG_CONFIG_HOME/mediabatch/config.json`, else `~/.config/...`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/mediabatch/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/mediabatch/config.json" }
        return nil
    }

    /// Loads `path`; a missing file at the default location is no error (`required` false).
    public static func load(path: String?, required: Bool) throws(Failure) -> Configuration {
        guard let path else { return Configuration() }
        guard FileIO.exists(path) else {
            if required { throw Failure(path: path, message: "no such file") }
            return Configuration()
        }
        let document: JSON
        do { document = try JSONEncoding.parse(try FileIO.readAll(path, limit: 1 << 20), source: path) } catch let error as JSONParseError {
            throw Failure(path: path, message: "line \(error.line): \(error.message)")
        } catch {
            throw Failure(path: path, message: "\(error)")
        }
        guard case .object(let object) = document else { throw Failure(path: path, message: "must be a JSON object") }
        let known: Set<String> = [
            "$schema", "baseURL", "providers", "tts", "concurrency", "outputRoot", "rpm", "maxCost", "maxTotalCost", "timeout", "maxAttempts",
            "inputRoots",
        ]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw Failure(path: path, message: "unknown setting \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        var configuration = Configuration()
        configuration.path = path
        configuration.baseURL = object["baseURL"]?.stringValue
        configuration.providerKey = object["providers"]?["openrouter"]?["apiKey"]?.stringValue
        configuration.speechKey = object["tts"]?["apiKey"]?.stringValue
        configuration.concurrency = object["concurrency"]?.intValue.map { Int($0) }
        configuration.outputRoot = object["outputRoot"]?.stringValue
        configuration.rpm = object["rpm"]?.intValue.map { Int($0) }
        configuration.maxCost = object["maxCost"]?.doubleValue
        configuration.maxTotalCost = object["maxTotalCost"]?.doubleValue
        configuration.timeout = object["timeout"]?.doubleValue
        configuration.maxAttempts = object["maxAttempts"]?.intValue.map { Int($0) }
        for name in ["concurrency", "rpm", "maxCost", "maxTotalCost", "timeout", "maxAttempts"] {
            if let value = object[name], !(value.doubleValue.map { $0 > 0 } ?? false) {
                throw Failure(path: path, message: "\(name) must be a positive number")
            }
        }
        if let value = object["outputRoot"], value.stringValue?.isEmpty != false {
            throw Failure(path: path, message: "outputRoot must be a folder path")
        }
        if let roots = object["inputRoots"] {
            guard let items = roots.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw Failure(path: path, message: "inputRoots must be a list of folder paths")
            }
            let folder = FileIO.directory(of: FileIO.absolute(path))
            configuration.inputRoots = items.compactMap(\.stringValue).map { $0.hasPrefix("/") ? $0 : folder + "/" + $0 }
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            configuration.permissionWarning = "\(path) can be read by other users and may hold API keys; run: chmod 600 \(path)"
        }
        return configuration
    }

    /// The key for image requests: the provider key, else `OPENROUTER_API_KEY`.
    public func imageKey(environment: [String: String]) -> String? {
        nonEmpty(providerKey) ?? nonEmpty(environment["OPENROUTER_API_KEY"])
    }

    /// The key for speech requests, as in the reference client: the speech key, else the
    /// provider key, else `OPENROUTER_API_KEY`.
    public func speechAPIKey(environment: [String: String]) -> String? {
        nonEmpty(speechKey) ?? imageKey(environment: environment)
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.trimmingWhitespace().isEmpty else { return nil }
        return value
    }
}
