import Foundation

/// `GET /images/models` and `GET /images/models/{author}/{slug}/endpoints`: the dedicated
/// image API's discovery documents, with typed `supported_parameters` (enum, range, boolean
/// capability descriptors) as the schema defines them.
enum ImageModelsCatalog {
    static func listDocument() -> JSONOut {
        let data: [JSONOut] = Catalog.imageModels.filter { $0.routesTo == nil && $0.onImagesEndpoint }.map { model in
            .object([
                ("id", .string(model.id)), ("name", .string(model.name)),
                ("description", .string(model.description)), ("created", .int(Catalog.created)),
                ("architecture", .object([
                    ("input_modalities", .array(model.inputModalities.filter { $0 != "file" }.map { .string($0) })),
                    ("output_modalities", .array([.string("image")])),
                ])),
                ("supported_parameters", supportedParameters(model)),
                ("supports_streaming", .bool(model.supportsStreaming)),
                ("endpoints", .string("/api/v1/images/models/\(model.id)/endpoints")),
            ])
        }
        return .object([("data", .array(data))])
    }

    /// nil when the model is unknown (404).
    static func endpointsDocument(id: String) -> JSONOut? {
        guard let model = Catalog.imageModel(id), model.routesTo == nil, model.onImagesEndpoint else { return nil }
        let slug = model.provider.lowercased().replacingOccurrences(of: " ", with: "-")
        let tiers = model.imageTokenPrice == nil ? Array(model.pricePerImage.keys) : Array(model.tokensPerImage.keys)
        let pricing: [JSONOut] = tiers.sorted().map { tier in
            .object([
                ("billable", .string("output_image")), ("cost_usd", .double(model.cost(tier: tier))),
                ("unit", .string("image")), ("resolution", .string(tier == "0.5K" ? "512" : tier)),
            ])
        }
        let endpoint: JSONOut = .object([
            ("provider_name", .string(model.provider)), ("provider_slug", .string(slug)),
            ("provider_tag", .string(slug)), ("pricing", .array(pricing)),
            ("supported_parameters", supportedParameters(model)),
            ("allowed_passthrough_parameters", .array([])),
            ("supports_streaming", .bool(model.supportsStreaming)),
        ])
        return .object([("id", .string(model.id)), ("endpoints", .array([endpoint]))])
    }

    static func resolutions(for model: ImageModel) -> [String] {
        switch model.id {
        case "google/gemini-3.1-flash-image-preview", "google/gemini-3.1-flash-image": return ["512", "1K", "2K", "4K"]
        case "google/gemini-3-pro-image-preview", "bytedance-seed/seedream-4.5", "openai/gpt-image-2", "openai/gpt-5.4-image-2":
            return ["1K", "2K", "4K"]
        case "black-forest-labs/flux.2-pro", "black-forest-labs/flux.2-flex", "sourceful/riverflow-v2-fast":
            return ["1K", "2K"]
        default: return ["1K"]
        }
    }

    static func supportedParameters(_ model: ImageModel) -> JSONOut {
        func enumeration(_ values: [String]) -> JSONOut {
            .object([("type", .string("enum")), ("values", .array(values.map { .string($0) }))])
        }
        func range(_ low: Int, _ high: Int) -> JSONOut {
            .object([("type", .string("range")), ("min", .int(low)), ("max", .int(high))])
        }
        let flag: JSONOut = .object([("type", .string("boolean"))])
        var parameters: [(String, JSONOut)] = [
            ("aspect_ratio", enumeration(ImageGeometry.ratios(for: model.id))),
            ("resolution", enumeration(resolutions(for: model))),
            ("n", range(1, model.id.hasPrefix("black-forest-labs/") ? 1 : 10)),
        ]
        if model.id.hasPrefix("openai/") {
            parameters += [
                ("quality", enumeration(["auto", "low", "medium", "high"])),
                ("background", enumeration(["auto", "transparent", "opaque"])),
                ("output_format", enumeration(["png", "jpeg", "webp"])),
                ("output_compression", range(0, 100)),
            ]
        } else {
            parameters += [("seed", flag), ("output_format", enumeration(["png", "jpeg"]))]
        }
        if model.inputModalities.contains("image") {
            parameters.append(("input_references", range(0, model.isGemini ? 14 : 8)))
        }
        return .object(parameters)
    }
}
