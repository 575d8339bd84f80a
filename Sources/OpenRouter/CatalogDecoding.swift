import JSON
import Tasks

extension ModelCatalog {
    /// Reads OpenRouter's two model lists as they arrive (`GET /models?output_modalities=all`
    /// and `GET /images/models`) into the neutral catalog the manifest checks use.
    package init(modelsDocument: JSON, imagesDocument: JSON, fetched: Int) {
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
        self.init(models: models, images: images, fetched: fetched, documents: (modelsDocument, imagesDocument))
    }
}
