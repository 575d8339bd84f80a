import JSON
import Tasks

/// What each model takes on the chat path, decided from OpenRouter's model lists when they
/// are at hand, from the built-in table (`ImageOptions`, `ModelRef`) otherwise. An aspect
/// ratio or resolution is either sent (as `image_config`) or refused here, never dropped.
extension ImageTaskExpander {
    /// The hint values a chat request may carry for `model`: the model's own /images sets
    /// when the catalog lists it there (a model takes the same sizes on both paths), else the
    /// built-in table.
    package func chatHintValues(for model: ModelRef) -> (ratios: [String], resolutions: [String]) {
        var ratios = ImageOptions.allowedAspectRatios(for: model)
        var resolutions = ImageOptions.allowedResolutions(for: model)
        if let capabilities = entry.catalog?.images[model.wireID] {
            if case .values(let values)? = capabilities["aspect_ratio"] { ratios = values.filter { $0 != "auto" } }
            if case .values(let values)? = capabilities["resolution"] { resolutions = values.map { $0 == "512" ? "0.5K" : $0 } }
        }
        return (ratios, resolutions)
    }

    /// Why `model` cannot carry an aspect ratio or resolution on the chat path, with the fix;
    /// nil when it can. Offline, every named model gets them (the returned pixel size is
    /// checked against the ask, so a model that ignored them is recorded).
    package func chatHintRefusal(for model: ModelRef) -> String? {
        if model.isAuto {
            return "openrouter/auto picks a model per prompt and gets no image hints; name a model, or remove aspectRatio and resolution"
        }
        guard let catalog = entry.catalog, let known = catalog.models[model.wireID] else { return nil }
        if known.takesImageConfig { return nil }
        if let capabilities = catalog.images[model.wireID], capabilities["aspect_ratio"] != nil || capabilities["resolution"] != nil {
            return "\(model.wireID) takes aspect ratio and resolution only on the /images endpoint; set \"api\": \"auto\" (or \"images\")"
        }
        return "\(model.wireID) takes no aspect ratio or resolution (OpenRouter's model list offers neither image_config on chat nor /images); remove them"
    }

    /// Chat-path checks of the hints: each model must take them, and each value must be one
    /// the model offers.
    package func checkChatHints(models: [ModelRef], aspectRatios: [String?], resolutions: [String?]) {
        let ratios = aspectRatios.compactMap { $0 }
        let sizes = resolutions.compactMap { $0 }
        guard !ratios.isEmpty || !sizes.isEmpty else { return }
        // The fields are looked up only to place a problem: most entries have none.
        for model in models {
            if let refusal = chatHintRefusal(for: model) {
                if let located = entry.field(ratios.isEmpty ? "resolution" : "aspectRatio") { entry.report(located, refusal) }
                continue
            }
            let allowed = chatHintValues(for: model)
            for value in ratios where !allowed.ratios.contains(value) {
                guard let located = entry.field("aspectRatio") else { break }
                entry.report(located, value: .string(value), "aspect ratio not offered for \(model) (allowed: \(allowed.ratios.joined(separator: " ")))")
            }
            for value in sizes where !allowed.resolutions.contains(value) {
                guard let located = entry.field("resolution") else { break }
                entry.report(located, value: .string(value), "resolution not offered for \(model) (allowed: \(allowed.resolutions.joined(separator: " ")))")
            }
        }
    }
}

extension SpeechTaskExpander {
    /// The voice a speech task gets when none is given: the model's first supported voice in
    /// OpenRouter's model list, else the built-in table (Kokoro `af_alloy`, OpenAI `alloy`,
    /// Voxtral `en_paul_neutral`, Gemini TTS `Kore`); nil when neither knows the model.
    package func defaultVoice(for model: ModelRef) -> String? {
        if let first = entry.catalog?.models[model.wireID]?.voices.first { return first }
        return SpeechFields.builtInVoices.first { model.wireID.hasPrefix($0.family) }?.voice
    }
}

extension SpeechFields {
    /// The offline default voice per model family (a wire-id prefix).
    package static let builtInVoices: [(family: String, voice: String)] = [
        ("hexgrad/kokoro", defaultVoice), ("openai/", "alloy"), ("mistralai/voxtral", "en_paul_neutral"),
        ("google/gemini", "Kore"), ("elevenlabs/", "Rachel"),
    ]
}
