/// `POST /audio/speech`: validates model, voice, input and format like OpenRouter, and answers
/// raw audio bytes (not JSON) with `X-Generation-Id`; errors stay JSON.
extension FakeCore {
    func speech(_ request: IncomingRequest, context: GenerationContext) -> Reply {
        func fail(_ message: String) -> Reply { .error(400, message, escapeSlashes: escape) }
        guard case .success(let object) = JSONIn.object(request.body) else { return fail("Invalid JSON in request body") }
        guard let modelID = JSONIn.string(object["model"]), !modelID.isEmpty else {
            return fail("\"model\" is required and must be a string")
        }
        guard let model = Catalog.speechModel(modelID) else { return fail("\(modelID) is not a valid model ID") }
        guard let input = JSONIn.string(object["input"]) else { return fail("\"input\" is required and must be a string") }
        guard !input.isEmpty else { return fail("\"input\" must not be empty") }
        guard let voice = JSONIn.string(object["voice"]), !voice.isEmpty else {
            return fail("\"voice\" is required. Supported voices for \(model.id): " + model.voices.joined(separator: ", "))
        }
        guard model.voices.contains(voice) else {
            return fail("Voice \"\(voice)\" is not supported by \(model.id). Supported voices: " + model.voices.joined(separator: ", "))
        }
        var format = "pcm"
        if !JSONIn.isNull(object["response_format"]) {
            guard let value = JSONIn.string(object["response_format"]), ["mp3", "pcm"].contains(value) else {
                return fail("\"response_format\" must be \"mp3\" or \"pcm\"")
            }
            format = value
        }
        if !JSONIn.isNull(object["speed"]) {
            guard let speed = JSONIn.number(object["speed"]), (0.25...4.0).contains(speed) else {
                return fail("\"speed\" must be a number from 0.25 to 4.0")
            }
        }
        if !JSONIn.isNull(object["provider"]), !(object["provider"] is [String: Any]) {
            return fail("\"provider\" must be an object")
        }
        var directives = Directives(input)
        if directives.amplitude == nil, !config.speechAmplitudes.isEmpty {
            // FNV-1a of the input: stable across runs (Swift's own hash is seeded per process).
            let hash = FNV1a.hash(Array(input.utf8))
            directives.amplitude = config.speechAmplitudes[Int(hash % UInt64(config.speechAmplitudes.count))]
        }
        var reply = speechAnswer(request, model: model, input: input, format: format, directives: directives, context: context)
        reply.extraDelay += directives.firstByte ?? 0
        if reply.status == 200 {
            reply.extraDelay += max(config.speechFirstByteSecondsPerCharacter, 0) * Double(input.count)
        }
        return reply
    }

    private func speechAnswer(
        _ request: IncomingRequest, model: SpeechModel, input: String, format: String, directives: Directives,
        context: GenerationContext
    ) -> Reply {
        if let status = directives.status {
            return statusError(status, identity: context.identity, request: request, model: model.id)
        }
        var deliveryFault: FaultKind?
        if let kind = directives.fault(attempt: context.attempt), Faults.applies(kind, to: .speech) {
            if let reply = faultError(kind, identity: context.identity, request: request, model: model.id) { return reply }
            if AnswerMode(kind) == nil { deliveryFault = kind }
        }

        let characters = input.count
        let frames = SpeechAudio.frames(forCharacters: characters)
        let id = nextGenerationID()
        let cost = roundedCost(Double(characters) * model.pricePerCharacter)
        let record = GenerationRecord(
            id: id, model: model.id, provider: model.provider, cost: cost, createdAt: .init(),
            tokensPrompt: characters, tokensCompletion: 0, mediaCount: 1, finishReason: "stop",
            nativeFinishReason: "stop", apiType: "speech")
        let headers = [("X-Generation-Id", id)]
        var reply: Reply
        if format == "mp3" {
            reply = .bytes(200, contentType: "audio/mpeg", SpeechAudio.mp3(audioFrames: frames, amplitude: directives.amplitude), headers: headers)
        } else {
            // Interleaved channels: the same length of audio takes `channels` times the samples.
            let channels = directives.pcmChannels ?? 1
            reply = .bytes(
                200, contentType: "audio/pcm;rate=\(directives.pcmRate ?? 24000);channels=\(channels)",
                SpeechAudio.pcm(samples: frames * SpeechAudio.samplesPerFrame * channels, amplitude: directives.amplitude), headers: headers)
        }
        // Billed when answered: a client gone before the first byte is not billed.
        reply.bill = Bill(record: record, when: .answered)
        reply.deliveryFault = deliveryFault
        return reply
    }
}
