import JSON
import Media
import Tasks

/// Shapes a video task into the body of `POST /videos`: model, prompt (left out when empty:
/// a frame image alone is enough for some models), duration, `resolution` and `aspect_ratio`
/// or `size`, `generate_audio`, `seed`, `provider` passthrough, the first and last frames as
/// `frame_images` and the references as `input_references` (data URLs for files).
public enum VideoRequest {
    public static let path = "/videos"
    /// OpenRouter answers 413 above this.
    public static let maxBodyBytes = 50 * 1024 * 1024

    /// The images a task sends, read by the caller: one for each of `task.imageInputs`, in order.
    public struct Images: Sendable {
        public let firstFrame: ReferenceImage?
        public let lastFrame: ReferenceImage?
        public let references: [ReferenceImage]

        public init(firstFrame: ReferenceImage?, lastFrame: ReferenceImage?, references: [ReferenceImage]) {
            self.firstFrame = firstFrame
            self.lastFrame = lastFrame
            self.references = references
        }

        public static let none = Images(firstFrame: nil, lastFrame: nil, references: [])
    }

    /// The body to send, images embedded. A body over 50 MiB fails here, before any request.
    public static func body(for task: VideoTask, images: Images) throws(TaskFailure) -> [UInt8] {
        var body = unsentBody(for: task)
        var frames: [JSON] = []
        for (image, type) in [(images.firstFrame, "first_frame"), (images.lastFrame, "last_frame")] {
            guard let image else { continue }
            frames.append(["type": "image_url", "image_url": ["url": .string(try image.url())], "frame_type": .string(type)])
        }
        if !frames.isEmpty { body["frame_images"] = .array(frames) }
        if !images.references.isEmpty {
            var parts: [JSON] = []
            for image in images.references { parts.append(["type": "image_url", "image_url": ["url": .string(try image.url())]]) }
            body["input_references"] = .array(parts)
        }
        let bytes = JSONEncoding.encode(.object(body))
        guard bytes.count <= maxBodyBytes else {
            throw TaskFailure(
                .permanent, cause: .plan,
                message: "the request body is \(bytes.count >> 20) MiB, over OpenRouter's 50 MiB limit for /videos: use smaller frame or reference images")
        }
        return bytes
    }

    /// The body without images: what identifies the request without reading any file.
    package static func unsentBody(for task: VideoTask) -> JSONObject {
        var body = JSONObject()
        body["model"] = .string(task.model.wireID)
        if !task.prompt.isEmpty { body["prompt"] = .string(task.prompt) }
        if let duration = task.duration { body["duration"] = .int(Int64(duration)) }
        if let size = task.size {
            body["size"] = .string(size)
        } else {
            if let resolution = task.resolution { body["resolution"] = .string(resolution) }
            if let ratio = task.aspectRatio { body["aspect_ratio"] = .string(ratio) }
        }
        if let audio = task.generateAudio { body["generate_audio"] = .bool(audio) }
        if let seed = task.seed { body["seed"] = .int(seed) }
        if let provider = task.provider { body["provider"] = provider }
        return body
    }
}

/// Where an asynchronous video job stands, as `POST /videos` and `GET /videos/{id}` say.
public struct VideoJobState: Sendable, Equatable {
    /// OpenRouter's job statuses; the last four are final.
    public enum Status: String, Sendable {
        case pending
        case inProgress = "in_progress"
        case completed, failed, cancelled, expired

        public var isTerminal: Bool { self != .pending && self != .inProgress }
    }

    public let id: String
    public let status: Status
    public let pollingURL: String?
    public let generationID: String?
    /// The server's error text of a failed (cancelled, expired) job.
    public let error: String?
    public let unsignedURLs: [String]
    /// `usage.cost`, once the job completed.
    public let cost: Double?

    package init(id: String, status: Status, pollingURL: String?, generationID: String?, error: String?, unsignedURLs: [String], cost: Double?) {
        self.id = id
        self.status = status
        self.pollingURL = pollingURL
        self.generationID = generationID
        self.error = error
        self.unsignedURLs = unsignedURLs
        self.cost = cost
    }

    /// Reads a job document; nil when it has no id or no known status.
    package static func decode(_ document: JSON) -> VideoJobState? {
        guard let id = document["id"]?.stringValue, !id.isEmpty, let text = document["status"]?.stringValue,
            let status = Status(rawValue: text)
        else { return nil }
        let urls = document["unsigned_urls"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return VideoJobState(
            id: id, status: status, pollingURL: document["polling_url"]?.stringValue,
            generationID: document["generation_id"]?.stringValue, error: document["error"]?.stringValue,
            unsignedURLs: urls, cost: document["usage"]?["cost"]?.doubleValue)
    }
}
