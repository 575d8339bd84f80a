/// `POST /audio/speech`: validates model, voice, input and format like OpenRouter, and answers
/// raw audio bytes (not JSON) with `X-Generation-Id`; errors stay JSON.
extension FakeCore {
    func speech(_ request: IncomingRequest, identity: UInt64) -> Reply {
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
        if let status = Directives(input).status {
            return statusError(status, identity: identity, request: request, model: model.id)
        }

        let characters = input.count
        let frames = SpeechAudio.frames(forCharacters: characters)
        let id = nextGenerationID()
        let cost = roundedCost(Double(characters) * model.pricePerCharacter)
        record(GenerationRecord(
            id: id, model: model.id, provider: model.provider, cost: cost, createdAt: .init(),
            tokensPrompt: characters, tokensCompletion: 0, mediaCount: 1, finishReason: "stop",
            nativeFinishReason: "stop", apiType: "speech"))
        let headers = [("X-Generation-Id", id)]
        if format == "mp3" {
            return .bytes(200, contentType: "audio/mpeg", SpeechAudio.mp3(audioFrames: frames), headers: headers)
        }
        return .bytes(
            200, contentType: "audio/pcm", SpeechAudio.pcm(samples: frames * SpeechAudio.samplesPerFrame), headers: headers)
    }
}
