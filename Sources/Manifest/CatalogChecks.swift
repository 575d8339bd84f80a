import JSON
import Tasks

/// Checks that need OpenRouter's model lists (`mediabatch models` caches them): unknown
/// models, models that do not make images or speech, /images parameters a model does not
/// support, voices a model does not have. Without a cache these checks are skipped and the
/// offline rules apply.
extension ImageTaskExpander {
    /// `["image"]` for models that only write images: from the model list when cached, else
    /// the prefix rule.
    package func modalities(for model: ModelRef) -> [String] {
        if let known = entry.catalog?.models[model.wireID] {
            return known.outputModalities.contains("text") ? ["image", "text"] : ["image"]
        }
        return model.isImageOnly ? ["image"] : ["image", "text"]
    }

    /// `count` as `n` in one /images request where every model allows that many, else 1.
    package func imagesPerRequest(api: ImageAPI, models: [ModelRef], count: Int) -> Int {
        guard api == .images, count > 1 else { return 1 }
        for model in models {
            if let capabilities = entry.catalog?.images[model.wireID] {
                guard case .range(_, let most)? = capabilities["n"], count <= most else { return 1 }
            } else if ImageOptions.singleImagePerRequest(model) {
                return 1
            }
        }
        return count
    }

    package func checkCatalog(
        api: ImageAPI, models: [ModelRef], aspectRatios: [String?], resolutions: [String?],
        options: (seed: Int64?, size: String?, quality: String?, outputFormat: String?, background: String?, reasoning: JSON?),
        references: Int
    ) {
        guard let catalog = entry.catalog, let modelField = entry.field("model") else { return }
        for model in models where !model.isAuto {
            guard let known = catalog.models[model.wireID] else {
                entry.report(modelField, value: .string(model.wireID), "OpenRouter's model list has no such model" + ModelSuggestion.hint(model.wireID, in: catalog))
                continue
            }
            guard known.outputModalities.contains("image") else {
                entry.report(modelField, value: .string(model.wireID), "this model does not output images (it outputs \(known.outputModalities.joined(separator: ", ")))")
                continue
            }
            guard api == .images else { continue }
            guard let capabilities = catalog.images[model.wireID] else {
                entry.report(modelField, value: .string(model.wireID), "this model is not offered on the /images endpoint; use \"api\": \"chat\"")
                continue
            }
            func check(_ key: String, _ parameter: String, _ values: [String]) {
                guard !values.isEmpty, let located = entry.field(key) else { return }
                guard case .values(let allowed)? = capabilities[parameter] else {
                    entry.report(located, "\(model.wireID) takes no \(parameter) on /images")
                    return
                }
                for value in values where !allowed.contains(value) {
                    entry.report(located, value: .string(value), "\(model.wireID) supports \(parameter) \(allowed.joined(separator: " "))")
                }
            }
            check("aspectRatio", "aspect_ratio", aspectRatios.compactMap { $0 })
            check("resolution", "resolution", resolutions.compactMap { $0 }.map { $0 == "0.5K" ? "512" : $0 })
            check("quality", "quality", options.quality.map { [$0] } ?? [])
            check("background", "background", options.background.map { [$0] } ?? [])
            check("outputFormat", "output_format", options.outputFormat.map { [$0] } ?? [])
            if options.seed != nil, capabilities["seed"] == nil, let located = entry.field("seed") {
                entry.report(located, "\(model.wireID) takes no seed on /images")
            }
            if references > 0, let located = entry.field("inputImages") {
                if case .range(_, let most)? = capabilities["input_references"] {
                    if references > most { entry.report(located, "\(model.wireID) takes at most \(most) reference images") }
                } else {
                    entry.report(located, "\(model.wireID) takes no reference images on /images")
                }
            }
        }
    }
}

extension SpeechTaskExpander {
    package func checkCatalog(models: [ModelRef], voices: [String]) {
        guard let catalog = entry.catalog else { return }
        for model in models {
            let located = entry.field("model")
            guard let known = catalog.models[model.wireID] else {
                if let located { entry.report(located, value: .string(model.wireID), "OpenRouter's model list has no such model" + ModelSuggestion.hint(model.wireID, in: catalog)) }
                else { entry.reportMissing("model", "the default speech model \(model.wireID) is not in OpenRouter's model list") }
                continue
            }
            guard known.outputModalities.contains("speech") else {
                if let located { entry.report(located, value: .string(model.wireID), "this model does not output speech") }
                continue
            }
            guard !known.voices.isEmpty else { continue }
            for voice in voices where !known.voices.contains(voice) {
                if let located = entry.field("voice") {
                    entry.report(located, value: .string(voice), "\(model.wireID) has no such voice (it has \(known.voices.joined(separator: ", ")))")
                } else {
                    entry.reportMissing("voice", "\(model.wireID) has no voice \(voice) (it has \(known.voices.joined(separator: ", "))); set one")
                }
            }
        }
    }
}
