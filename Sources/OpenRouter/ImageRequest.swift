import JSON
import Media
import Tasks

/// Shapes an image task into an OpenRouter request body. On the chat path
/// (`POST /chat/completions`): the aspect ratio and resolution as `image_config`, the
/// modalities validation chose (`["image"]` for image-only models), and no hints at all for
/// `openrouter/auto`. On the /images path (`POST /images`): the endpoint's own normalized fields.
public enum ImageRequest {
    public static let path = "/chat/completions"
    public static let imagesPath = "/images"

    public static func path(for task: ImageTask) -> String { task.api == .images ? imagesPath : path }

    /// The request body, with the task's reference images (read by the caller, one for each
    /// of `task.inputImages`, in order) embedded as data URLs.
    public static func body(for task: ImageTask, references: [ReferenceImage]) throws(TaskFailure) -> JSON {
        var body = unsentBody(for: task)
        if task.api == .images {
            if !references.isEmpty {
                var parts: [JSON] = []
                for image in references {
                    parts.append(["type": "image_url", "image_url": ["url": .string(try image.url())]])
                }
                body["input_references"] = .array(parts)
            }
            return .object(body)
        }
        if !references.isEmpty {
            var parts: [JSON] = [["type": "text", "text": .string(task.prompt)]]
            for image in references {
                parts.append(["type": "image_url", "image_url": ["url": .string(try image.url())]])
            }
            body["messages"] = [["role": "user", "content": .array(parts)]]
        }
        return .object(body)
    }

    /// The body without reference images (the prompt alone as the message): what identifies
    /// the request without reading any file.
    package static func unsentBody(for task: ImageTask) -> JSONObject {
        if task.api == .images { return imagesBody(for: task) }
        var body = JSONObject()
        body["model"] = .string(task.model.wireID)
        body["messages"] = [["role": "user", "content": .string(task.prompt)]]
        body["modalities"] = .array(task.modalities.map(JSON.string))
        if let config = imageConfig(for: task) { body["image_config"] = .object(config) }
        if let provider = task.provider { body["provider"] = provider }
        if let models = task.fallbackModels { body["models"] = .array(models.map(JSON.string)) }
        if let reasoning = task.reasoning { body["reasoning"] = reasoning }
        return body
    }

    /// `POST /images`: prompt, `n`, the normalized `aspect_ratio` and `resolution` (`0.5K`
    /// is `512` here), and the endpoint's options, each only when set.
    package static func imagesBody(for task: ImageTask) -> JSONObject {
        var body = JSONObject()
        body["model"] = .string(task.model.wireID)
        body["prompt"] = .string(task.prompt)
        if task.imagesPerRequest > 1 { body["n"] = .int(Int64(task.imagesPerRequest)) }
        if let aspect = task.aspectRatio { body["aspect_ratio"] = .string(aspect) }
        if let resolution = task.resolution { body["resolution"] = .string(resolution == "0.5K" ? "512" : resolution) }
        if let size = task.size { body["size"] = .string(size) }
        if let quality = task.quality { body["quality"] = .string(quality) }
        if let format = task.outputFormat { body["output_format"] = .string(format) }
        if let background = task.background { body["background"] = .string(background) }
        if let seed = task.seed { body["seed"] = .int(seed) }
        if let provider = task.provider { body["provider"] = provider }
        return body
    }

    /// `image_config`: the aspect ratio and resolution (validation let them through only for
    /// models that take them; never for `openrouter/auto`), then the user's explicit keys on
    /// top (for any model).
    package static func imageConfig(for task: ImageTask) -> JSONObject? {
        var config = JSONObject()
        if !task.model.isAuto {
            if let aspect = task.aspectRatio { config["aspect_ratio"] = .string(aspect) }
            if let resolution = task.resolution { config["image_size"] = .string(resolution) }
        }
        if let explicit = task.imageConfig {
            for (key, value) in explicit { config[key] = value }
        }
        return config.isEmpty ? nil : config
    }
}

/// A reference image as the request builder takes it: a URL passed through, or the bytes of
/// a local file (read by the runner, which owns files), sent as a data URL.
public enum ReferenceImage: Sendable {
    case url(String)
    case file(path: String, bytes: [UInt8])

    /// `data:<mime>;base64,...` for a file (the MIME type from its magic number), or the URL.
    func url() throws(TaskFailure) -> String {
        switch self {
        case .url(let url): return url
        case .file(let path, let bytes):
            guard let format = ImageFormat.sniff(bytes) else {
                throw TaskFailure(.permanent, cause: .file(path: path), message: "cannot use \(path): not a PNG, JPEG, WebP or GIF image")
            }
            return "data:\(format.mimeType);base64," + String(decoding: Base64.encode(bytes), as: UTF8.self)
        }
    }
}
