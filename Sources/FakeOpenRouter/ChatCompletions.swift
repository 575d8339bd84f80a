/// `POST /chat/completions` for image generation, validated the way OpenRouter validates it
/// (model ids, output modalities per model, aspect ratios and sizes per model) and answered
/// with real PNG/JPEG images inside data URLs, built by splicing cached base64 bytes.
extension FakeCore {
    /// What the user asked for, after validation.
    private struct ChatAsk {
        let requested: ImageModel
        let model: ImageModel
        let prompt: String
        let inputImages: Int
        let modalities: [String]
        let ratio: String
        let tier: String
    }

    func chatCompletions(_ request: IncomingRequest, context: GenerationContext) -> Reply {
        let ask: ChatAsk
        switch parseChat(request.body) {
        case .success(let parsed): ask = parsed
        case .failure(let failure): return failure.reply
        }
        let directives = Directives(ask.prompt)
        var reply = chatAnswer(request, ask: ask, directives: directives, context: context)
        reply.extraDelay += directives.firstByte ?? 0
        return reply
    }

    private func chatAnswer(_ request: IncomingRequest, ask: ChatAsk, directives: Directives, context: GenerationContext) -> Reply {
        if let status = directives.status {
            return statusError(status, identity: context.identity, request: request, model: ask.model.id)
        }
        var mode = context.mode
        var deliveryFault: FaultKind?
        if mode == .normal, let kind = directives.fault(attempt: context.attempt), Faults.applies(kind, to: .chat) {
            if let reply = faultError(kind, identity: context.identity, request: request, model: ask.model.id) { return reply }
            if let directed = AnswerMode(kind) { mode = directed } else { deliveryFault = kind }
        }
        if mode == .normal, let refusal = directives.refusal(attempt: context.attempt) { mode = .refusal(refusal) }

        let wantsImage = ask.modalities.contains("image")
        let promptTokens = max(1, ask.prompt.utf8.count / 4) + 258 * ask.inputImages
        let id = nextGenerationID()
        func record(cost: Double, completionTokens: Int, media: Int, finish: String, native: String) -> GenerationRecord {
            GenerationRecord(
                id: id, model: ask.model.id, provider: ask.model.provider, cost: cost, createdAt: .init(),
                tokensPrompt: promptTokens, tokensCompletion: completionTokens, mediaCount: media,
                finishReason: finish, nativeFinishReason: native, apiType: "completions")
        }

        if case .bareErrorIn200(let code) = mode {
            // Only a top-level error, no choices, no usage: not billed.
            let document: JSONOut = .object([
                ("error", providerErrorObject(code: code, model: ask.model.id)),
                ("user_id", .string("user_fake0penr0uter")),
            ])
            var reply = Reply.json(200, document, escapeSlashes: escape, headers: [("X-Generation-Id", id)])
            reply.bill = Bill(
                record: record(cost: 0, completionTokens: 0, media: 0, finish: "error", native: "error"), when: .unbilled)
            return reply
        }

        var count = 0
        var content = "Here is your image."
        var finish: String? = "stop"
        var native: String? = "STOP"
        var reasoningTokens = 0
        var images: [JSONOut] = []
        var error: JSONOut?
        var topLevelError: JSONOut?

        if mode == .errorIn200 {
            content = ""
            finish = "error"
            native = "error"
            error = .object([
                ("code", .int(502)), ("message", .string("Provider overloaded")),
                ("metadata", .object([("error_type", .string("provider_overloaded"))])),
            ])
        } else if mode == .errorBesideChoices {
            content = ""
            finish = nil
            native = nil
            topLevelError = providerErrorObject(code: 502, model: ask.model.id)
        } else if case .refusal(let refusal) = mode {
            // Billed: the prompt, and the thinking that led to the refusal.
            content = refusal.content
            finish = refusal.finishReason
            native = refusal.nativeFinishReason
            reasoningTokens = 120
        } else if !wantsImage {
            content = "This is a text-only answer: no image output was requested."
        } else if directives.noImage {
            content = "I can't generate that image."
            native = "IMAGE_SAFETY"
        } else if mode == .noImages {
            // The tricky case: the model says it made an image but sends none.
        } else {
            count = directives.images ?? max(config.imagesPerResponse, 0)
            let scale = ImageGeometry.scale(ofTier: ask.tier) ?? 1
            let size = directives.ignoreHints ? (width: 1024, height: 1024) : ImageGeometry.pixels(ratio: ask.ratio, scale: scale)
            let format: ImageStore.Format = directives.jpeg ? .jpeg : .png
            let promptSeed = FNV1a.hash(Array(ask.prompt.utf8))
            for index in 0..<count {
                let image = responseImage(index: index, seed: promptSeed, size: size, format: format)
                let mediaType = directives.mimeMismatch ? "image/jpeg" : image.format.mediaType
                images.append(.object([
                    ("type", .string("image_url")),
                    ("image_url", .object([("url", .preescaped(prefix: "data:\(mediaType);base64,", body: image.base64))])),
                ]))
            }
        }

        let unbilled = mode == .errorIn200 || mode == .errorBesideChoices
        let imageTokens = count * ask.model.tokens(tier: ask.tier)
        let completionTokens = imageTokens + (content.isEmpty ? 0 : 8) + reasoningTokens
        let cost: Double
        if count > 0 {
            cost = roundedCost(ask.model.cost(tier: ask.tier) * Double(count))
        } else if unbilled {
            cost = 0
        } else {
            cost = roundedCost(Double(promptTokens) * 0.000_000_3 + Double(completionTokens) * 0.000_002_5)
        }
        var message: [(String, JSONOut)] = [("role", .string("assistant")), ("content", .string(content))]
        if !images.isEmpty { message.append(("images", .array(images))) }
        var choice: [(String, JSONOut)] = [
            ("index", .int(0)), ("finish_reason", finish.map(JSONOut.string) ?? .null),
            ("native_finish_reason", native.map(JSONOut.string) ?? .null), ("message", .object(message)),
        ]
        if let error { choice.append(("error", error)) }
        var fields: [(String, JSONOut)] = [
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(unixNow())),
            ("model", .string(ask.model.id)), ("provider", .string(ask.model.provider)),
            ("choices", .array([.object(choice)])),
        ]
        if let topLevelError { fields.append(("error", topLevelError)) }
        fields.append(("usage", .object([
            ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
            ("total_tokens", .int(promptTokens + completionTokens)), ("cost", .double(cost)),
            ("is_byok", .bool(false)),
            ("completion_tokens_details", .object([
                ("reasoning_tokens", .int(reasoningTokens)), ("image_tokens", .int(imageTokens)),
            ])),
        ])))
        var reply = Reply.json(200, .object(fields), escapeSlashes: escape, headers: [("X-Generation-Id", id)])
        reply.bill = Bill(
            record: record(
                cost: cost, completionTokens: completionTokens, media: count, finish: finish ?? "error",
                native: native ?? "error"),
            when: unbilled ? .unbilled : .generated)
        reply.deliveryFault = deliveryFault
        return reply
    }

    /// The index-th image of a response: different images of one answer get different seeds.
    func responseImage(index: Int, seed: UInt64, size: (width: Int, height: Int), format: ImageStore.Format) -> ImageStore.Encoded {
        images.image(
            width: size.width, height: size.height, seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15), format: format)
    }

    private struct ChatFailure: Error {
        let reply: Reply
    }

    private func parseChat(_ body: [UInt8]) -> Result<ChatAsk, ChatFailure> {
        func fail(_ status: Int, _ message: String) -> Result<ChatAsk, ChatFailure> {
            .failure(ChatFailure(reply: .error(status, message, escapeSlashes: escape)))
        }
        guard case .success(let object) = JSONIn.object(body) else { return fail(400, "Invalid JSON in request body") }
        guard let modelID = JSONIn.string(object["model"]), !modelID.isEmpty else {
            return fail(400, "No model specified: \"model\" must be a model ID string")
        }
        guard let requested = Catalog.imageModel(modelID) else { return fail(400, "\(modelID) is not a valid model ID") }
        if !JSONIn.isNull(object["models"]) {
            guard let fallbacks = object["models"] as? [Any] else { return fail(400, "\"models\" must be an array of model IDs") }
            for entry in fallbacks {
                guard let fallback = JSONIn.string(entry) else { return fail(400, "\"models\" must be an array of model IDs") }
                if Catalog.imageModel(fallback) == nil { return fail(400, "\(fallback) is not a valid model ID") }
            }
        }
        if !JSONIn.isNull(object["provider"]), !(object["provider"] is [String: Any]) {
            return fail(400, "\"provider\" must be an object")
        }
        let model = requested.routesTo.flatMap(Catalog.imageModel) ?? requested

        // messages: the last user message's text and image parts.
        guard let messages = object["messages"] as? [Any], !messages.isEmpty else {
            return fail(400, "\"messages\" must be a non-empty array")
        }
        var prompt: String?
        var inputImages = 0
        for (index, entry) in messages.enumerated() {
            guard let message = entry as? [String: Any], let role = JSONIn.string(message["role"]) else {
                return fail(400, "messages[\(index)] must be an object with a string \"role\"")
            }
            guard ["system", "user", "assistant", "developer", "tool"].contains(role) else {
                return fail(400, "messages[\(index)].role \"\(role)\" is not valid")
            }
            if let text = JSONIn.string(message["content"]) {
                if role == "user" { (prompt, inputImages) = (text, 0) }
            } else if let parts = message["content"] as? [Any] {
                var texts: [String] = []
                var images = 0
                for (partIndex, rawPart) in parts.enumerated() {
                    let at = "messages[\(index)].content[\(partIndex)]"
                    guard let part = rawPart as? [String: Any], let type = JSONIn.string(part["type"]) else {
                        return fail(400, "\(at) must be an object with a string \"type\"")
                    }
                    switch type {
                    case "text":
                        guard let text = JSONIn.string(part["text"]) else { return fail(400, "\(at).text must be a string") }
                        texts.append(text)
                    case "image_url":
                        guard JSONIn.imageURL(of: part, dataPrefix: "data:image/") != nil else {
                            return fail(400, "\(at).image_url must be an object with a data: or http(s) \"url\"")
                        }
                        images += 1
                    default:
                        return fail(400, "\(at).type \"\(type)\" is not supported for this model")
                    }
                }
                if role == "user" { (prompt, inputImages) = (texts.joined(separator: "\n"), images) }
            } else if role == "user" || !JSONIn.isNull(message["content"]) {
                return fail(400, "messages[\(index)].content must be a string or an array of content parts")
            }
        }
        guard let prompt else { return fail(400, "No user message found in \"messages\"") }

        // modalities: OpenRouter's default is text only.
        var modalities = ["text"]
        if !JSONIn.isNull(object["modalities"]) {
            let list = object["modalities"] as? [Any] ?? []
            let names = list.compactMap(JSONIn.string)
            guard !list.isEmpty, names.count == list.count else {
                return fail(400, "\"modalities\" must be a non-empty array of strings")
            }
            for name in names where !["text", "image", "audio"].contains(name) {
                return fail(400, "Invalid output modality \"\(name)\"")
            }
            modalities = names
        }
        if model.isImageOnly, modalities.contains("text") || !modalities.contains("image") {
            return fail(404, "No endpoints found that support the requested output modalities: " + modalities.joined(separator: ", "))
        }

        // image_config: aspect_ratio and image_size per model; other keys are passed through.
        // A model whose entry does not list image_config ignores it (as OpenRouter does).
        var ratio = "1:1"
        var tier = "1K"
        if model.takesImageConfig, !JSONIn.isNull(object["image_config"]) {
            guard let imageConfig = object["image_config"] as? [String: Any] else {
                return fail(400, "\"image_config\" must be an object")
            }
            if !JSONIn.isNull(imageConfig["aspect_ratio"]) {
                let allowed = ImageGeometry.ratios(for: model.id)
                guard let value = JSONIn.string(imageConfig["aspect_ratio"]), allowed.contains(value) else {
                    let shown = JSONIn.string(imageConfig["aspect_ratio"]) ?? "\(imageConfig["aspect_ratio"] ?? "")"
                    return fail(400, "Invalid aspect_ratio \"\(shown)\" for \(model.id). Supported: \(allowed.joined(separator: ", "))")
                }
                ratio = value
            }
            if !JSONIn.isNull(imageConfig["image_size"]) {
                let allowed = model.isGemini ? ImageGeometry.chatImageSizes(for: model.id)
                    : ImageModelsCatalog.resolutions(for: model).map { $0 == "512" ? "0.5K" : $0 }
                guard let value = JSONIn.string(imageConfig["image_size"]), allowed.contains(value) else {
                    let shown = JSONIn.string(imageConfig["image_size"]) ?? "\(imageConfig["image_size"] ?? "")"
                    return fail(400, "Invalid image_size \"\(shown)\" for \(model.id). Supported: \(allowed.joined(separator: ", "))")
                }
                tier = value
            }
        }
        return .success(ChatAsk(
            requested: requested, model: model, prompt: prompt, inputImages: inputImages,
            modalities: modalities, ratio: ratio, tier: tier))
    }
}
