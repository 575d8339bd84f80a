import Foundation

/// One image-generating model the fake knows, with OpenRouter's routing facts (which output
/// modalities it serves, which provider answers) and a deterministic price per image.
struct ImageModel: Sendable {
    let id: String
    let name: String
    let provider: String
    let outputModalities: [String]
    let inputModalities: [String]
    let description: String
    /// Where `openrouter/auto` sends requests; nil for real models.
    let routesTo: String?
    /// Price of one image per size tier ("0.5K", "1K", "2K", "4K"); "1K" is the fallback.
    let pricePerImage: [String: Double]

    var isGemini: Bool { id.hasPrefix("google/gemini-") }
    var isImageOnly: Bool { !outputModalities.contains("text") }
    var supportsStreaming: Bool { id.hasPrefix("openai/") }

    func cost(tier: String) -> Double { pricePerImage[tier] ?? pricePerImage["1K"] ?? 0.04 }
}

/// One text-to-speech model, its voices and a deterministic price per input character.
struct SpeechModel: Sendable {
    let id: String
    let name: String
    let provider: String
    let voices: [String]
    let pricePerCharacter: Double
}

/// The fake's model catalog: what `/chat/completions`, `/images` and `/audio/speech` accept
/// and what `GET /models` and `GET /images/models` list.
enum Catalog {
    static let created = 1_763_000_000

    static let imageModels: [ImageModel] = [
        ImageModel(
            id: "google/gemini-2.5-flash-image", name: "Google: Gemini 2.5 Flash Image (Nano Banana)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Gemini 2.5 Flash Image generates and edits images from text and image prompts.",
            routesTo: nil, pricePerImage: ["1K": 0.039]),
        ImageModel(
            id: "google/gemini-3.1-flash-image-preview", name: "Google: Nano Banana 2 (Gemini 3.1 Flash Image Preview)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Fast image generation with extreme aspect ratios and a 0.5K tier.",
            routesTo: nil, pricePerImage: ["0.5K": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151]),
        ImageModel(
            id: "google/gemini-3-pro-image-preview", name: "Google: Nano Banana Pro (Gemini 3 Pro Image Preview)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Studio-quality image generation up to 4K.",
            routesTo: nil, pricePerImage: ["1K": 0.134, "2K": 0.18, "4K": 0.24]),
        ImageModel(
            id: "openai/gpt-5-image", name: "OpenAI: GPT-5 Image", provider: "OpenAI",
            outputModalities: ["image", "text"], inputModalities: ["image", "text", "file"],
            description: "GPT-5 with native image generation.", routesTo: nil, pricePerImage: ["1K": 0.04]),
        ImageModel(
            id: "openai/gpt-5-image-mini", name: "OpenAI: GPT-5 Image Mini", provider: "OpenAI",
            outputModalities: ["image", "text"], inputModalities: ["image", "text", "file"],
            description: "A cheaper GPT-5 with native image generation.", routesTo: nil, pricePerImage: ["1K": 0.02]),
        ImageModel(
            id: "black-forest-labs/flux.2-pro", name: "Black Forest Labs: FLUX.2 Pro", provider: "Black Forest Labs",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "FLUX.2 [pro] text-to-image and editing.", routesTo: nil, pricePerImage: ["1K": 0.03]),
        ImageModel(
            id: "black-forest-labs/flux.2-flex", name: "Black Forest Labs: FLUX.2 Flex", provider: "Black Forest Labs",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "FLUX.2 [flex] with typography control.", routesTo: nil, pricePerImage: ["1K": 0.06]),
        ImageModel(
            id: "sourceful/riverflow-v2-fast", name: "Sourceful: Riverflow V2 Fast", provider: "Sourceful",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "Fast design-oriented image generation.", routesTo: nil, pricePerImage: ["1K": 0.02]),
        ImageModel(
            id: "bytedance-seed/seedream-4.5", name: "ByteDance Seed: Seedream 4.5", provider: "ByteDance",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "Seedream 4.5 text-to-image.", routesTo: nil, pricePerImage: ["1K": 0.04]),
        ImageModel(
            id: "openrouter/auto", name: "Auto Router", provider: "OpenRouter",
            outputModalities: ["text", "image"], inputModalities: ["text", "image"],
            description: "Picks a model for each prompt.", routesTo: "google/gemini-2.5-flash-image",
            pricePerImage: ["1K": 0.039]),
    ]

    static let speechModels: [SpeechModel] = [
        SpeechModel(
            id: "hexgrad/kokoro-82m", name: "Kokoro 82M", provider: "DeepInfra",
            voices: ["af_alloy", "af_bella", "am_adam", "bf_emma"], pricePerCharacter: 0.000_000_8),
        SpeechModel(
            id: "openai/gpt-4o-mini-tts-2025-12-15", name: "OpenAI: GPT-4o Mini TTS", provider: "OpenAI",
            voices: ["alloy", "nova", "echo", "shimmer"], pricePerCharacter: 0.000_015),
        SpeechModel(
            id: "mistralai/voxtral-mini-tts-2603", name: "Mistral: Voxtral Mini TTS", provider: "Mistral",
            voices: ["en_paul_neutral", "en_emma_neutral", "fr_marie_neutral"], pricePerCharacter: 0.000_016),
    ]

    static func imageModel(_ id: String) -> ImageModel? { imageModels.first { $0.id == id } }
    static func speechModel(_ id: String) -> SpeechModel? { speechModels.first { $0.id == id } }

    /// `GET /models`: `output_modalities` is a comma-separated filter or "all"; OpenRouter's
    /// default is "text".
    static func modelsDocument(outputModalities: String?) -> JSONOut {
        let wanted = Set((outputModalities ?? "text").split(separator: ",").map { $0.trimmingSpaces })
        let all = wanted.contains("all")
        var data: [JSONOut] = []
        for model in imageModels where all || !wanted.isDisjoint(with: model.outputModalities) {
            data.append(entry(for: model))
        }
        for model in speechModels where all || wanted.contains("speech") {
            data.append(entry(for: model))
        }
        return .object([("data", .array(data))])
    }

    /// `GET /model/{author}/{slug}`: `{"data": <model>}`, nil when unknown (404).
    static func modelDocument(id: String) -> JSONOut? {
        let bare = id.split(separator: ":").first.map(String.init) ?? id
        if let model = imageModel(bare) { return .object([("data", entry(for: model))]) }
        if let model = speechModel(bare) { return .object([("data", entry(for: model))]) }
        return nil
    }

    private static func entry(for model: ImageModel) -> JSONOut {
        let pricing: [(String, JSONOut)] = [
            ("prompt", .string("0.0000003")), ("completion", .string("0.0000025")),
            ("request", .string("0")), ("image", .string("0")),
            ("image_output", .string(priceString(model.cost(tier: "1K")))),
            ("web_search", .string("0")), ("internal_reasoning", .string("0")),
        ]
        var parameters: [JSONOut] = [.string("seed")]
        if !model.isImageOnly {
            parameters = ["max_tokens", "temperature", "top_p", "seed", "stop", "response_format"].map { .string($0) }
        }
        return modelEntry(
            id: model.id, name: model.name, description: model.description,
            inputs: model.inputModalities, outputs: model.outputModalities, pricing: pricing,
            contextLength: model.isImageOnly ? 4096 : 32768, parameters: parameters, voices: .null)
    }

    private static func entry(for model: SpeechModel) -> JSONOut {
        let pricing: [(String, JSONOut)] = [
            ("prompt", .string(priceString(model.pricePerCharacter))), ("completion", .string("0")),
            ("request", .string("0")), ("image", .string("0")),
        ]
        return modelEntry(
            id: model.id, name: model.name, description: "Text to speech.", inputs: ["text"], outputs: ["speech"],
            pricing: pricing, contextLength: 8192,
            parameters: ["voice", "speed", "response_format"].map { .string($0) },
            voices: .array(model.voices.map { .string($0) }))
    }

    // swiftlint:disable:next function_parameter_count
    private static func modelEntry(
        id: String, name: String, description: String, inputs: [String], outputs: [String],
        pricing: [(String, JSONOut)], contextLength: Int, parameters: [JSONOut], voices: JSONOut
    ) -> JSONOut {
        .object([
            ("id", .string(id)), ("canonical_slug", .string(id)), ("hugging_face_id", .null),
            ("name", .string(name)), ("created", .int(created)), ("description", .string(description)),
            ("context_length", .int(contextLength)),
            ("architecture", .object([
                ("modality", .string(inputs.joined(separator: "+") + "->" + outputs.joined(separator: "+"))),
                ("input_modalities", .array(inputs.map { .string($0) })),
                ("output_modalities", .array(outputs.map { .string($0) })),
                ("tokenizer", .string("Other")), ("instruct_type", .null),
            ])),
            ("pricing", .object(pricing)),
            ("top_provider", .object([
                ("context_length", .int(contextLength)), ("max_completion_tokens", .int(8192)),
                ("is_moderated", .bool(false)),
            ])),
            ("per_request_limits", .null), ("supported_parameters", .array(parameters)),
            ("default_parameters", .null), ("supported_voices", voices),
            ("knowledge_cutoff", .null), ("expiration_date", .null),
            ("links", .object([("details", .string("/api/v1/models/\(id)/endpoints"))])),
        ])
    }

    /// Prices as OpenRouter writes them: plain decimals, never exponents.
    static func priceString(_ value: Double) -> String {
        var text = String(format: "%.10f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingCharacters(in: .whitespaces) }
}
