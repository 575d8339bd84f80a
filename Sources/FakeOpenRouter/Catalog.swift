import Foundation

/// One image-generating model the fake knows, with OpenRouter's routing facts (which output
/// modalities it serves, which provider answers, whether the chat path takes `image_config`,
/// whether `/images` offers it) and deterministic prices: per image, or per output image
/// token for token-priced models (Gemini), with the tokens one image takes per size tier.
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
    var pricePerImage: [String: Double] = [:]
    /// Token-priced models: dollars per output image token, and tokens per image by tier.
    var imageTokenPrice: Double? = nil
    var tokensPerImage: [String: Int] = [:]
    /// The chat path honours `image_config` (aspect ratio, size); otherwise it ignores it.
    var takesImageConfig = true
    /// Offered on `POST /images` (listed by `GET /images/models`).
    var onImagesEndpoint = true

    var isGemini: Bool { id.hasPrefix("google/gemini-") }
    var isImageOnly: Bool { !outputModalities.contains("text") }
    var supportsStreaming: Bool { id.hasPrefix("openai/") }

    /// Output image tokens of one image at `tier` (the usage figure the fake reports).
    func tokens(tier: String) -> Int { tokensPerImage[tier] ?? tokensPerImage["1K"] ?? 1290 }

    func cost(tier: String) -> Double {
        if let price = imageTokenPrice { return Double(tokens(tier: tier)) * price }
        return pricePerImage[tier] ?? pricePerImage["1K"] ?? 0.04
    }
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

    /// Gemini's typical output image tokens per tier (mediabatch's estimate table must agree).
    static let flashTokens = ["0.5K": 750, "1K": 1120, "2K": 1680, "4K": 2520]
    static let proTokens = ["1K": 1120, "2K": 1120, "4K": 2000]

    static let imageModels: [ImageModel] = [
        ImageModel(
            id: "google/gemini-2.5-flash-image", name: "Google: Gemini 2.5 Flash Image (Nano Banana)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Gemini 2.5 Flash Image generates and edits images from text and image prompts.",
            routesTo: nil, imageTokenPrice: 0.000_03, tokensPerImage: ["1K": 1300]),
        ImageModel(
            id: "google/gemini-3.1-flash-image-preview", name: "Google: Nano Banana 2 (Gemini 3.1 Flash Image Preview)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Fast image generation with extreme aspect ratios and a 0.5K tier.",
            routesTo: nil, imageTokenPrice: 0.000_06, tokensPerImage: flashTokens),
        ImageModel(
            id: "google/gemini-3.1-flash-image", name: "Google: Nano Banana 2 (Gemini 3.1 Flash Image)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "The release of Gemini 3.1 Flash Image: extreme aspect ratios and a 0.5K tier.",
            routesTo: nil, imageTokenPrice: 0.000_06, tokensPerImage: flashTokens),
        ImageModel(
            id: "google/gemini-3-pro-image-preview", name: "Google: Nano Banana Pro (Gemini 3 Pro Image Preview)",
            provider: "Google", outputModalities: ["image", "text"], inputModalities: ["image", "text"],
            description: "Studio-quality image generation up to 4K.",
            routesTo: nil, imageTokenPrice: 0.000_12, tokensPerImage: proTokens),
        ImageModel(
            id: "openai/gpt-5-image", name: "OpenAI: GPT-5 Image", provider: "OpenAI",
            outputModalities: ["image", "text"], inputModalities: ["image", "text", "file"],
            description: "GPT-5 with native image generation.", routesTo: nil, pricePerImage: ["1K": 0.04]),
        ImageModel(
            id: "openai/gpt-5-image-mini", name: "OpenAI: GPT-5 Image Mini", provider: "OpenAI",
            outputModalities: ["image", "text"], inputModalities: ["image", "text", "file"],
            description: "A cheaper GPT-5 with native image generation.", routesTo: nil, pricePerImage: ["1K": 0.02]),
        ImageModel(
            id: "openai/gpt-5.4-image-2", name: "OpenAI: GPT-5.4 Image 2", provider: "OpenAI",
            outputModalities: ["image", "text"], inputModalities: ["image", "text", "file"],
            description: "GPT-5.4 with gpt-image-2 generation.", routesTo: nil, pricePerImage: ["1K": 0.05]),
        ImageModel(
            id: "openai/gpt-image-2", name: "OpenAI: GPT Image 2", provider: "OpenAI",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "OpenAI's image-only generation model.", routesTo: nil, pricePerImage: ["1K": 0.042]),
        ImageModel(
            id: "black-forest-labs/flux.2-pro", name: "Black Forest Labs: FLUX.2 Pro", provider: "Black Forest Labs",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "FLUX.2 [pro] text-to-image and editing.", routesTo: nil, pricePerImage: ["1K": 0.03]),
        ImageModel(
            id: "black-forest-labs/flux.2-flex", name: "Black Forest Labs: FLUX.2 Flex", provider: "Black Forest Labs",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "FLUX.2 [flex] with typography control.", routesTo: nil, pricePerImage: ["1K": 0.06],
            takesImageConfig: false),
        ImageModel(
            id: "sourceful/riverflow-v2-fast", name: "Sourceful: Riverflow V2 Fast", provider: "Sourceful",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "Fast design-oriented image generation.", routesTo: nil, pricePerImage: ["1K": 0.02]),
        ImageModel(
            id: "bytedance-seed/seedream-4.5", name: "ByteDance Seed: Seedream 4.5", provider: "ByteDance",
            outputModalities: ["image"], inputModalities: ["image", "text"],
            description: "Seedream 4.5 text-to-image.", routesTo: nil, pricePerImage: ["1K": 0.04]),
        ImageModel(
            id: "x-ai/grok-imagine-image", name: "xAI: Grok Imagine Image", provider: "xAI",
            outputModalities: ["image"], inputModalities: ["text"],
            description: "Grok Imagine: square images from text, on the chat path only.", routesTo: nil,
            pricePerImage: ["1K": 0.07], takesImageConfig: false, onImagesEndpoint: false),
        ImageModel(
            id: "openrouter/auto", name: "Auto Router", provider: "OpenRouter",
            outputModalities: ["text", "image"], inputModalities: ["text", "image"],
            description: "Picks a model for each prompt.", routesTo: "google/gemini-2.5-flash-image",
            imageTokenPrice: 0.000_03, tokensPerImage: ["1K": 1300]),
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
        // `image` is the price per INPUT image; token-priced models list `image_token` only.
        var pricing: [(String, JSONOut)] = [
            ("prompt", .string("0.0000003")), ("completion", .string("0.0000025")),
            ("request", .string("0")), ("image", .string("0.0012")),
        ]
        if let price = model.imageTokenPrice {
            pricing.append(("image_token", .string(priceString(price))))
        } else {
            pricing.append(("image_output", .string(priceString(model.cost(tier: "1K")))))
        }
        pricing += [("web_search", .string("0")), ("internal_reasoning", .string("0"))]
        var names = ["seed"]
        if !model.isImageOnly { names = ["max_tokens", "temperature", "top_p", "seed", "stop", "response_format", "reasoning"] }
        if model.takesImageConfig { names.append("image_config") }
        let parameters: [JSONOut] = names.map { .string($0) }
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

/// The fake's two model lists as mediabatch caches them (`models.json`: `baseURL`, `fetched`,
/// `models`, `images`), so tests can start from a fresh cache instead of fetching it in every
/// run. `baseURL` is the endpoint the lists are for: mediabatch uses a cache only for it.
public enum FakeModelLists {
    public static func cacheDocument(fetched: Int, baseURL: String) -> String {
        JSONOut.object([
            ("baseURL", .string(baseURL)),
            ("fetched", .int(fetched)), ("models", Catalog.modelsDocument(outputModalities: "all")),
            ("images", ImageModelsCatalog.listDocument()), ("videos", VideoModelsCatalog.listDocument()),
        ]).text(escapeSlashes: false)
    }
}
