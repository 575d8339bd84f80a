/// `POST /images`, OpenRouter's dedicated image API (schema `ImageGenerationRequest`):
/// validates every documented field (including a `size` that contradicts `aspect_ratio` or
/// `resolution`, and `input_references` that must be `image_url` objects) and answers
/// `{"created", "data":[{"b64_json","media_type"}], "usage"}`.
extension FakeCore {
    private struct ImagesAsk {
        let model: ImageModel
        let prompt: String
        let count: Int
        let size: (width: Int, height: Int)
        let tier: String
        let jpeg: Bool
        let seed: Int?
    }

    func generateImages(_ request: IncomingRequest, context: GenerationContext) -> Reply {
        let ask: ImagesAsk
        switch parseImages(request.body) {
        case .success(let parsed): ask = parsed
        case .failure(let failure): return failure.reply
        }
        let directives = Directives(ask.prompt)
        var reply = imagesAnswer(request, ask: ask, directives: directives, context: context)
        reply.extraDelay += directives.firstByte ?? 0
        return reply
    }

    private func imagesAnswer(
        _ request: IncomingRequest, ask: ImagesAsk, directives: Directives, context: GenerationContext
    ) -> Reply {
        if let status = directives.status {
            return statusError(status, identity: context.identity, request: request, model: ask.model.id)
        }
        if directives.fail {
            return .error(
                502, "Image generation failed: the provider returned no image. You were not charged.",
                metadata: .object([("provider_name", .string(ask.model.provider))]), escapeSlashes: escape)
        }
        var mode = context.mode
        var deliveryFault: FaultKind?
        if mode == .normal, let kind = directives.fault(attempt: context.attempt), Faults.applies(kind, to: .images) {
            if let reply = faultError(kind, identity: context.identity, request: request, model: ask.model.id) { return reply }
            if let directed = AnswerMode(kind) { mode = directed } else { deliveryFault = kind }
        }
        let count = mode == .noImages ? 0 : (directives.images ?? ask.count)
        let format: ImageStore.Format = (ask.jpeg || directives.jpeg) ? .jpeg : .png
        var promptSeed = FNV1a.hash(Array(ask.prompt.utf8))
        if let seed = ask.seed { promptSeed ^= UInt64(bitPattern: Int64(seed)) &* 0xA24B_AED4_963E_E407 }
        var data: [JSONOut] = []
        for index in 0..<count {
            let image = responseImage(index: index, seed: promptSeed, size: ask.size, format: format)
            let mediaType = directives.mimeMismatch ? "image/jpeg" : image.format.mediaType
            data.append(.object([("b64_json", .preescaped(prefix: "", body: image.base64)), ("media_type", .string(mediaType))]))
        }
        let cost = roundedCost(ask.model.cost(tier: ask.tier) * Double(count))
        let id = nextGenerationID()
        let record = GenerationRecord(
            id: id, model: ask.model.id, provider: ask.model.provider, cost: cost, createdAt: .init(),
            tokensPrompt: 0, tokensCompletion: count * ask.model.tokens(tier: ask.tier), mediaCount: count, finishReason: "stop",
            nativeFinishReason: "STOP", apiType: "images")
        let document: JSONOut = .object([
            ("created", .int(unixNow())), ("data", .array(data)),
            ("usage", .object([
                ("prompt_tokens", .int(0)), ("completion_tokens", .int(count * ask.model.tokens(tier: ask.tier))),
                ("total_tokens", .int(count * ask.model.tokens(tier: ask.tier))), ("cost", .double(cost)),
            ])),
        ])
        var reply = Reply.json(200, document, escapeSlashes: escape, headers: [("X-Generation-Id", id)])
        // Billed only once the whole answer went out: a generation cancelled before the reply is not.
        reply.bill = Bill(record: record, when: count > 0 ? .delivered : .unbilled)
        reply.deliveryFault = deliveryFault
        return reply
    }

    private struct ImagesFailure: Error {
        let reply: Reply
    }

    private func parseImages(_ body: [UInt8]) -> Result<ImagesAsk, ImagesFailure> {
        func fail(_ message: String) -> Result<ImagesAsk, ImagesFailure> {
            .failure(ImagesFailure(reply: .error(400, message, escapeSlashes: escape)))
        }
        func optionalString(_ key: String, _ object: [String: Any], allowed: [String]) -> (String?, Bool) {
            if JSONIn.isNull(object[key]) { return (nil, true) }
            guard let value = JSONIn.string(object[key]), allowed.contains(value) else { return (nil, false) }
            return (value, true)
        }
        guard case .success(let object) = JSONIn.object(body) else { return fail("Invalid JSON in request body") }
        guard let modelID = JSONIn.string(object["model"]), !modelID.isEmpty else {
            return fail("\"model\" is required and must be a string")
        }
        guard let model = Catalog.imageModel(modelID), model.routesTo == nil else {
            return fail("\(modelID) is not a valid model ID")
        }
        guard model.onImagesEndpoint else { return fail("\(modelID) is not available on the /images endpoint") }
        if !JSONIn.isNull(object["reasoning"]) { return fail("\"reasoning\" is not a parameter of /images") }
        guard let prompt = JSONIn.string(object["prompt"]), !prompt.isEmpty else {
            return fail("\"prompt\" is required and must be a non-empty string")
        }
        var count = 1
        if !JSONIn.isNull(object["n"]) {
            guard let n = JSONIn.integer(object["n"]), (1...10).contains(n) else { return fail("\"n\" must be an integer from 1 to 10") }
            if n > 1, model.id.hasPrefix("black-forest-labs/") { return fail("\(model.id) generates one image per request: n must be 1") }
            count = n
        }
        let (ratioValue, ratioOK) = optionalString("aspect_ratio", object, allowed: ImageGeometry.imagesEndpointRatios)
        guard ratioOK else { return fail("Invalid aspect_ratio. Supported: " + ImageGeometry.imagesEndpointRatios.joined(separator: ", ")) }
        let (resolution, resolutionOK) = optionalString("resolution", object, allowed: ImageGeometry.imagesEndpointResolutions)
        guard resolutionOK else { return fail("Invalid resolution. Supported: 512, 1K, 2K, 4K") }
        for (key, allowed) in [
            ("quality", ["auto", "low", "medium", "high"]), ("background", ["auto", "transparent", "opaque"]),
            ("output_format", ["png", "jpeg", "webp", "svg"]),
        ] where !optionalString(key, object, allowed: allowed).1 {
            return fail("Invalid \(key). Supported: " + allowed.joined(separator: ", "))
        }
        let outputFormat = JSONIn.string(object["output_format"])
        if JSONIn.string(object["background"]) == "transparent", outputFormat == "jpeg" {
            return fail("background \"transparent\" requires output_format png or webp")
        }
        if !JSONIn.isNull(object["output_compression"]) {
            guard let value = JSONIn.integer(object["output_compression"]), (0...100).contains(value) else {
                return fail("\"output_compression\" must be an integer from 0 to 100")
            }
        }
        var seed: Int?
        if !JSONIn.isNull(object["seed"]) {
            guard let value = JSONIn.integer(object["seed"]) else { return fail("\"seed\" must be an integer") }
            seed = value
        }
        if !JSONIn.isNull(object["stream"]), !JSONIn.isBool(object["stream"]) { return fail("\"stream\" must be a boolean") }
        if !JSONIn.isNull(object["provider"]), !(object["provider"] is [String: Any]) { return fail("\"provider\" must be an object") }
        if !JSONIn.isNull(object["input_references"]) {
            guard let references = object["input_references"] as? [Any] else { return fail("\"input_references\" must be an array") }
            guard references.count <= 16 else { return fail("\"input_references\" accepts at most 16 items") }
            for (index, entry) in references.enumerated() {
                guard let part = entry as? [String: Any], JSONIn.imageURL(of: part) != nil else {
                    return fail("input_references[\(index)] must be an object {\"type\":\"image_url\",\"image_url\":{\"url\":...}}")
                }
            }
        }

        let ratio = (ratioValue == nil || ratioValue == "auto") ? "1:1" : ratioValue!
        var tier = resolution ?? "1K"
        var pixels: (width: Int, height: Int)?
        if !JSONIn.isNull(object["size"]) {
            guard let size = JSONIn.string(object["size"]) else { return fail("\"size\" must be a string") }
            if ImageGeometry.imagesEndpointResolutions.contains(size) || size == "0.5K" {
                let sizeTier = size == "0.5K" ? "512" : size
                if let resolution, resolution != sizeTier {
                    return fail("size \"\(size)\" contradicts resolution \"\(resolution)\"")
                }
                tier = sizeTier
            } else if let explicit = ImageGeometry.explicitPixels(size) {
                guard (64...8192).contains(explicit.width), (64...8192).contains(explicit.height) else {
                    return fail("size \"\(size)\" is out of range: each side must be 64 to 8192 pixels")
                }
                if let ratioValue, ratioValue != "auto", let wanted = ImageGeometry.ratioValue(ratioValue) {
                    let actual = Double(explicit.width) / Double(explicit.height)
                    if abs(actual - wanted) / wanted > 0.02 {
                        return fail("size \"\(size)\" contradicts aspect_ratio \"\(ratioValue)\"")
                    }
                }
                let sizeTier = ImageGeometry.tier(width: explicit.width, height: explicit.height)
                if let resolution, resolution != sizeTier {
                    return fail("size \"\(size)\" contradicts resolution \"\(resolution)\"")
                }
                tier = sizeTier
                pixels = explicit
            } else {
                return fail("Invalid size \"\(size)\": use a tier (1K, 2K, 4K) or explicit pixels such as 2048x2048")
            }
        }
        let size = pixels ?? ImageGeometry.pixels(ratio: ratio, scale: ImageGeometry.scale(ofTier: tier) ?? 1)
        let costTier = tier == "512" ? "0.5K" : tier
        return .success(ImagesAsk(
            model: model, prompt: prompt, count: count, size: size, tier: costTier,
            jpeg: outputFormat == "jpeg", seed: seed))
    }
}
