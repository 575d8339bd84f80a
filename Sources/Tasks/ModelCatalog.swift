import Glibc
import JSON

/// What OpenRouter says its models can do: output modalities, prices and voices from
/// `GET /models`, and the typed `supported_parameters` of the /images endpoint from
/// `GET /images/models`. Fetched by `mediabatch models`, cached on disk with a TTL, and used
/// (when present) to validate manifests and to choose `modalities` and the image path.
public struct ModelCatalog: Sendable {
    public struct Model: Sendable {
        public let id: String
        public let outputModalities: [String]
        public let voices: [String]
        public let pricing: [String: String]
        /// The request fields the model's chat endpoint takes (`supported_parameters` of `/models`).
        public let supportedParameters: [String]

        package init(id: String, outputModalities: [String], voices: [String], pricing: [String: String], supportedParameters: [String] = []) {
            self.id = id
            self.outputModalities = outputModalities
            self.voices = voices
            self.pricing = pricing
            self.supportedParameters = supportedParameters
        }

        /// Dollars per generated image (`image_output`), nil when unlisted or varying
        /// (OpenRouter writes -1). Never `image`: that is the price per INPUT image.
        public var pricePerImage: Double? { Model.price(pricing["image_output"]) }
        /// Dollars per output image token (`image_token`, else `completion`), for token-priced
        /// image models such as Gemini's.
        public var pricePerImageToken: Double? { Model.price(pricing["image_token"]) ?? Model.price(pricing["completion"]) }
        /// Whether the chat path takes `image_config` (aspect ratio, image size) for this model.
        public var takesImageConfig: Bool { supportedParameters.contains("image_config") }
        /// Whether the model writes text besides images (else `modalities` must be `["image"]`).
        public var writesText: Bool { outputModalities.contains("text") }
        /// Dollars per input character of speech, nil when unlisted or varying.
        public var pricePerCharacter: Double? { Model.price(pricing["prompt"]) }

        package static func price(_ text: String?) -> Double? {
            guard let text, let value = Double(text), value >= 0 else { return nil }
            return value
        }
    }

    /// One typed capability of the /images endpoint for a model.
    public enum Capability: Sendable, Equatable {
        case values([String])
        case range(Int, Int)
        case flag
    }

    public let models: [String: Model]
    /// Model id → parameter name → capability.
    public let images: [String: [String: Capability]]
    /// Seconds since the epoch when the lists were fetched.
    public let fetched: Int

    public static let timeToLive = 24 * 3600

    /// The two documents as OpenRouter sent them, kept for the cache file.
    package let documents: (models: JSON, images: JSON)
    /// The video models (`GET /videos/models`), by id; empty when the list was not fetched.
    public let videos: [String: VideoModelInfo]
    /// `GET /videos/models` as OpenRouter sent it, for the cache file; nil when not fetched.
    package let videosDocument: JSON?

    package init(
        models: [String: Model], images: [String: [String: Capability]], fetched: Int, documents: (models: JSON, images: JSON),
        videos: [String: VideoModelInfo] = [:], videosDocument: JSON? = nil
    ) {
        self.models = models
        self.images = images
        self.fetched = fetched
        self.documents = documents
        self.videos = videos
        self.videosDocument = videosDocument
    }

    /// Older than a day, or written before video models were listed (fetched again when online).
    public var isStale: Bool { Int(time(nil)) - fetched > ModelCatalog.timeToLive || videosDocument == nil }

    /// The image models: those whose output modalities include `image`.
    public var imageModels: [Model] { models.values.filter { $0.outputModalities.contains("image") }.sorted { $0.id < $1.id } }
    public var speechModels: [Model] { models.values.filter { $0.outputModalities.contains("speech") }.sorted { $0.id < $1.id } }
}
