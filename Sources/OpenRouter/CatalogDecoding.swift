import JSON
import Tasks

extension ModelCatalog {
    /// Reads OpenRouter's two model lists as they arrive (`GET /models?output_modalities=all`
    /// and `GET /images/models`) into the neutral catalog the manifest checks use.
    package init(modelsDocument: JSON, imagesDocument: JSON, videosDocument: JSON? = nil, fetched: Int) {
        var models: [String: Model] = [:]
        for entry in modelsDocument["data"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.stringValue else { continue }
            var pricing: [String: String] = [:]
            for (key, value) in entry["pricing"]?.objectValue ?? JSONObject() {
                pricing[key] = value.stringValue ?? value.doubleValue.map { String($0) }
            }
            models[id] = Model(
                id: id, outputModalities: (entry["architecture"]?["output_modalities"]?.arrayValue ?? []).compactMap(\.stringValue),
                voices: (entry["supported_voices"]?.arrayValue ?? []).compactMap(\.stringValue), pricing: pricing,
                supportedParameters: (entry["supported_parameters"]?.arrayValue ?? []).compactMap(\.stringValue))
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
        var videos: [String: VideoModelInfo] = [:]
        for entry in videosDocument?["data"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.stringValue else { continue }
            videos[id] = ModelCatalog.videoModel(id: id, entry)
        }
        self.init(
            models: models, images: images, fetched: fetched, documents: (modelsDocument, imagesDocument), videos: videos,
            videosDocument: videosDocument)
    }

    /// One entry of `GET /videos/models`; a set that is null or absent is unknown (nil).
    private static func videoModel(id: String, _ entry: JSON) -> VideoModelInfo {
        func strings(_ key: String) -> [String]? { entry[key]?.arrayValue?.compactMap(\.stringValue) }
        var skus: [String: String] = [:]
        for (name, value) in entry["pricing_skus"]?.objectValue ?? JSONObject() {
            skus[name] = value.stringValue ?? value.doubleValue.map { String($0) }
        }
        return VideoModelInfo(
            id: id, durations: entry["supported_durations"]?.arrayValue?.compactMap { $0.intValue.map { Int($0) } },
            resolutions: strings("supported_resolutions"), aspectRatios: strings("supported_aspect_ratios"),
            sizes: strings("supported_sizes"), frameImages: strings("supported_frame_images"),
            generateAudio: entry["generate_audio"]?.boolValue, seed: entry["seed"]?.boolValue, pricingSKUs: skus,
            passthrough: strings("allowed_passthrough_parameters"))
    }
}
