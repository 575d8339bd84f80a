import Glibc

/// What OpenRouter says its models can do: output modalities, prices and voices from
/// `GET /models`, and the typed `supported_parameters` of the /images endpoint from
/// `GET /images/models`. Fetched by `mediabatch models`, cached on disk with a TTL, and used
/// (when present) to validate manifests and to choose `modalities` and the image path.
public struct ModelCatalog: Sendable {
    public struct Model: Sendable {
        public let id: String
        public let outputModalities: [String]
        public let voices: [String]
        public let pricing: [String: String]

        /// Dollars per generated image, nil when unlisted or varying (OpenRouter writes -1).
        public var pricePerImage: Double? { Model.price(pricing["image_output"] ?? pricing["image"]) }
        /// Dollars per input character of speech, nil when unlisted or varying.
        public var pricePerCharacter: Double? { Model.price(pricing["prompt"]) }

        static func price(_ text: String?) -> Double? {
            guard let text, let value = Double(text), value >= 0 else { return nil }
            return value
        }
    }

    /// One typed capability of the /images endpoint for a model.
    public enum Capability: Sendable, Equatable {
        case values([String])
        case range(Int, Int)
        case flag
    }

    public let models: [String: Model]
    /// Model id → parameter name → capability.
    public let images: [String: [String: Capability]]
    /// Seconds since the epoch when the lists were fetched.
    public let fetched: Int

    public static let timeToLive = 24 * 3600

    /// `$XDG_CACHE_HOME/mediabatch/models.json`, else `~/.cache/mediabatch/models.json`.
    public static func cachePath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/mediabatch/models.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/mediabatch/models.json" }
        return nil
    }

    public var isStale: Bool { Int(time(nil)) - fetched > ModelCatalog.timeToLive }

    /// Fetches both lists.
    public static func fetch(from endpoint: OpenRouterEndpoint, connection: HTTPConnection = HTTPConnection()) throws(TaskFailure) -> ModelCatalog {
        let models = try get("/models?output_modalities=all", endpoint: endpoint, connection: connection)
        let images = try get("/images/models", endpoint: endpoint, connection: connection)
        return ModelCatalog(modelsDocument: models, imagesDocument: images, fetched: Int(time(nil)))
    }

    private static func get(_ path: String, endpoint: OpenRouterEndpoint, connection: HTTPConnection) throws(TaskFailure) -> JSON {
        let response: HTTPResponse
        do { response = try connection.perform(HTTPRequest(method: .get, url: endpoint.url(path), headers: endpoint.headers(category: "image-gen"))) } catch {
            throw TaskFailure(.transient, message: error.description)
        }
        guard response.status == 200 else {
            throw ErrorClassifier.failure(status: response.status, body: response.body, retryAfter: response.retryAfter)
        }
        do { return try response.body.withUnsafeBytes { try JSONEncoding.parse($0, source: path) } } catch {
            throw TaskFailure(.transient, status: 200, message: "malformed \(path) response")
        }
    }

    init(modelsDocument: JSON, imagesDocument: JSON, fetched: Int) {
        var models: [String: Model] = [:]
        for entry in modelsDocument["data"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.stringValue else { continue }
            var pricing: [String: String] = [:]
            for (key, value) in entry["pricing"]?.objectValue ?? JSONObject() {
                pricing[key] = value.stringValue ?? value.doubleValue.map { String($0) }
            }
            models[id] = Model(
                id: id, outputModalities: (entry["architecture"]?["output_modalities"]?.arrayValue ?? []).compactMap(\.stringValue),
                voices: (entry["supported_voices"]?.arrayValue ?? []).compactMap(\.stringValue), pricing: pricing)
        }
        var images: [String: [String: Capability]] = [:]
        for entry in imagesDocument["data"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.stringValue else { continue }
            var capabilities: [String: Capability] = [:]
            for (name, value) in entry["supported_parameters"]?.objectValue ?? JSONObject() {
                switch value["type"]?.stringValue {
                case "enum": capabilities[name] = .values((value["values"]?.arrayValue ?? []).compactMap(\.stringValue))
                case "range": capabilities[name] = .range(Int(value["min"]?.intValue ?? 0), Int(value["max"]?.intValue ?? 0))
                case "boolean": capabilities[name] = .flag
                default: break
                }
            }
            images[id] = capabilities
        }
        self.models = models
        self.images = images
        self.fetched = fetched
        documents = (modelsDocument, imagesDocument)
    }

    private let documents: (JSON, JSON)

    /// Reads the cache file; nil when there is none or it cannot be read.
    public static func load(path: String) -> ModelCatalog? {
        guard let bytes = try? FileIO.readAll(path, limit: 64 << 20), let document = try? JSONEncoding.parse(bytes, source: path),
            let models = document["models"], let images = document["images"], let fetched = document["fetched"]?.intValue
        else { return nil }
        return ModelCatalog(modelsDocument: models, imagesDocument: images, fetched: Int(fetched))
    }

    public func save(path: String) throws(FileError) {
        let document: JSON = ["fetched": .int(Int64(fetched)), "models": documents.0, "images": documents.1]
        try FileIO.makeDirectories(FileIO.directory(of: path))
        try FileIO.writeAtomically(JSONEncoding.encode(document), to: path)
    }

    /// The image models: those whose output modalities include `image`.
    public var imageModels: [Model] { models.values.filter { $0.outputModalities.contains("image") }.sorted { $0.id < $1.id } }
    public var speechModels: [Model] { models.values.filter { $0.outputModalities.contains("speech") }.sorted { $0.id < $1.id } }
}
