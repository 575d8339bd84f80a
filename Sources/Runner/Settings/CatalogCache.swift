import Files
import JSON
import OpenRouter
import Tasks

/// The model lists on disk (`$XDG_CACHE_HOME/mediabatch/models.json`), kept for a day so
/// that `validate`, `plan` and `run` can check manifests without asking OpenRouter each time.
/// The file records the base URL the lists came from: lists fetched from one endpoint (a
/// local fake, another OpenRouter-compatible server) never check requests for another.
public enum CatalogCache {
    /// `$XDG_CACHE_HOME/mediabatch/models.json`, else `~/.cache/mediabatch/models.json`.
    public static func path(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/mediabatch/models.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/mediabatch/models.json" }
        return nil
    }

    /// What the cache file holds for `baseURL`.
    public enum Lookup {
        /// Lists fetched from `baseURL`.
        case lists(ModelCatalog)
        /// Lists fetched from another base URL (or a cache from before base URLs were
        /// recorded, `recorded` nil): no lists for this one.
        case otherBaseURL(recorded: String?)
        /// No file, or one that cannot be read.
        case none

        public var catalog: ModelCatalog? {
            if case .lists(let catalog) = self { return catalog }
            return nil
        }
    }

    /// Reads the cache file for requests to `baseURL`.
    public static func lookup(path: String, baseURL: String) -> Lookup {
        guard let bytes = try? FileIO.readAll(path, limit: 64 << 20), let document = try? JSONEncoding.parse(bytes, source: path),
            let models = document["models"], let images = document["images"], let fetched = document["fetched"]?.intValue
        else { return .none }
        let recorded = document["baseURL"]?.stringValue
        guard let recorded, same(recorded, baseURL) else { return .otherBaseURL(recorded: recorded) }
        return .lists(ModelCatalog(modelsDocument: models, imagesDocument: images, videosDocument: document["videos"], fetched: Int(fetched)))
    }

    /// The cached lists when they came from `baseURL`; nil otherwise.
    public static func load(path: String, baseURL: String) -> ModelCatalog? {
        lookup(path: path, baseURL: baseURL).catalog
    }

    /// Writes the lists fetched from `baseURL`, replacing whatever was cached.
    public static func save(_ catalog: ModelCatalog, baseURL: String, path: String) throws(FileError) {
        var document: JSON = [
            "baseURL": .string(baseURL), "fetched": .int(Int64(catalog.fetched)), "models": catalog.documents.models,
            "images": catalog.documents.images,
        ]
        if let videos = catalog.videosDocument, case .object(var object) = document {
            object["videos"] = videos
            document = .object(object)
        }
        try FileIO.makeDirectories(FileIO.directory(of: path))
        try FileIO.writeAtomically(JSONEncoding.encode(document), to: path)
    }

    /// Two spellings of one base URL: a trailing `/` makes no difference.
    static func same(_ a: String, _ b: String) -> Bool {
        func trimmed(_ url: String) -> Substring {
            var url = Substring(url)
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }
        return trimmed(a) == trimmed(b)
    }
}
