/// Shapes an image task into OpenRouter's `POST /chat/completions` body, per model family:
/// Gemini image models get `image_config` hints, image-only models get `["image"]`
/// modalities, `openrouter/auto` gets no hints at all.
public enum ImageRequest {
    public static let path = "/chat/completions"

    /// The request body. Reference images are read and embedded as data URLs.
    public static func body(for task: ImageTask) throws(FileError) -> JSON {
        var body = unsentBody(for: task)
        if !task.inputImages.isEmpty {
            var parts: [JSON] = [["type": "text", "text": .string(task.prompt)]]
            for image in task.inputImages {
                parts.append(["type": "image_url", "image_url": ["url": .string(try dataURL(image))]])
            }
            body["messages"] = [["role": "user", "content": .array(parts)]]
        }
        return .object(body)
    }

    /// The body without reference images (the prompt alone as the message): what identifies
    /// the request without reading any file.
    static func unsentBody(for task: ImageTask) -> JSONObject {
        var body = JSONObject()
        body["model"] = .string(task.model.wireID)
        body["messages"] = [["role": "user", "content": .string(task.prompt)]]
        body["modalities"] = task.model.isImageOnly ? ["image"] : ["image", "text"]
        if let config = imageConfig(for: task) { body["image_config"] = .object(config) }
        if let provider = task.provider { body["provider"] = provider }
        if let models = task.fallbackModels { body["models"] = .array(models.map(JSON.string)) }
        return body
    }

    /// `image_config`: the hints Gemini image models understand, then the user's explicit
    /// keys on top (for any model).
    static func imageConfig(for task: ImageTask) -> JSONObject? {
        var config = JSONObject()
        if task.model.isGeminiImage {
            if let aspect = task.aspectRatio { config["aspect_ratio"] = .string(aspect) }
            if let resolution = task.resolution { config["image_size"] = .string(resolution) }
        }
        if let explicit = task.imageConfig {
            for (key, value) in explicit { config[key] = value }
        }
        return config.isEmpty ? nil : config
    }

    /// `data:<mime>;base64,...` for a local file (the MIME type from its magic number), or the
    /// URL itself for http(s) references.
    static func dataURL(_ path: String) throws(FileError) -> String {
        if path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
        let bytes = try FileIO.readAll(path, limit: ImageFields.maxInputImageBytes)
        guard let format = ImageFormat.sniff(bytes) else {
            throw FileError("use", path, reason: "not a PNG, JPEG, WebP or GIF image")
        }
        return "data:\(format.mimeType);base64," + String(decoding: Base64.encode(bytes), as: UTF8.self)
    }
}
