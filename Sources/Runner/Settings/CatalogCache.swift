import Files
import JSON
import OpenRouter
import Tasks

/// The model lists on disk (`$XDG_CACHE_HOME/mediabatch/models.json`), kept for a day so
/// that `validate`, `plan` and `run` can check manifests without asking OpenRouter each time.
public enum CatalogCache {
    /// `$XDG_CACHE_HOME/mediabatch/models.json`, else `~/.cache/mediabatch/models.json`.
    public static func path(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/mediabatch/models.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/mediabatch/models.json" }
        return nil
    }

    /// Reads the cache file; nil when there is none or it cannot be read.
    public static func load(path: String) -> ModelCatalog? {
        guard let bytes = try? FileIO.readAll(path, limit: 64 << 20), let document = try? JSONEncoding.parse(bytes, source: path),
            let models = document["models"], let images = document["images"], let fetched = document["fetched"]?.intValue
        else { return nil }
        return ModelCatalog(modelsDocument: models, imagesDocument: images, videosDocument: document["videos"], fetched: Int(fetched))
    }

    public static func save(_ catalog: ModelCatalog, path: String) throws(FileError) {
        var document: JSON = ["fetched": .int(Int64(catalog.fetched)), "models": catalog.documents.models, "images": catalog.documents.images]
        if let videos = catalog.videosDocument, case .object(var object) = document {
            object["videos"] = videos
            document = .object(object)
        }
        try FileIO.makeDirectories(FileIO.directory(of: path))
        try FileIO.writeAtomically(JSONEncoding.encode(document), to: path)
    }
}
