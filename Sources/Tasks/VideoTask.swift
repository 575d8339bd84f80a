import JSON

/// A video generation task, fully resolved: one asynchronous job on OpenRouter's video API
/// (submit, poll, download), every default applied and every template filled. Its frames
/// and references are image inputs (`VideoImageInput`), read when the job is submitted.
public struct VideoTask: Sendable {
    public let id: String
    public let manifestName: String
    public let origin: TaskOrigin
    public let output: OutputTarget
    /// May be empty when a frame image is given (the model animates the image alone).
    public let prompt: String
    public let model: ModelRef
    /// Seconds; nil: the model's default.
    public let duration: Int?
    public let resolution: String?
    public let aspectRatio: String?
    /// "WxH", instead of `resolution` and `aspectRatio`.
    public let size: String?
    public let generateAudio: Bool?
    public let seed: Int64?
    /// `provider` as the user wrote it (`options.<slug>` passthrough).
    public let provider: JSON?
    public internal(set) var firstFrame: VideoImageInput?
    public internal(set) var lastFrame: VideoImageInput?
    public internal(set) var references: [VideoImageInput]
    /// Which of `count` identical requests this is (1-based), part of the task key.
    public let variant: Int
    /// The manifest that made it (absolute path), journaled with its job: an open job is
    /// another version's only for a run of the manifest that submitted it (several manifests
    /// may write one folder).
    public let manifestFile: String

    package init(
        id: String, manifestName: String, origin: TaskOrigin, output: OutputTarget, prompt: String, model: ModelRef,
        duration: Int?, resolution: String?, aspectRatio: String?, size: String?, generateAudio: Bool?, seed: Int64?,
        provider: JSON?, firstFrame: VideoImageInput?, lastFrame: VideoImageInput?, references: [VideoImageInput], variant: Int,
        manifestFile: String
    ) {
        self.manifestFile = manifestFile
        self.id = id
        self.manifestName = manifestName
        self.origin = origin
        self.output = output
        self.prompt = prompt
        self.model = model
        self.duration = duration
        self.resolution = resolution
        self.aspectRatio = aspectRatio
        self.size = size
        self.generateAudio = generateAudio
        self.seed = seed
        self.provider = provider
        self.firstFrame = firstFrame
        self.lastFrame = lastFrame
        self.references = references
        self.variant = variant
    }

    /// Every image input, frames first: the files the task reads when it is submitted.
    public var imageInputs: [VideoImageInput] { [firstFrame, lastFrame].compactMap { $0 } + references }
}

/// Where one image a video task sends comes from (a frame or a reference). Today a file
/// (absolute path, resolved and confined by the manifest layer) or an http(s) URL; the one
/// place that turns it into request bytes is `VideoInputReader` (Runner).
public enum VideoImageInput: Sendable, Equatable {
    case file(String)
    case url(String)
    /// Another task's output (`@id`, `@id#n`), as written: the planner turns it into the
    /// producer's file (`MediaTask.resolvingReferences`) before the job is submitted.
    case task(String)

    /// The path or URL, as the plan, the key and the inputs list name it.
    public var location: String {
        switch self {
        case .file(let path): return path
        case .url(let url): return url
        case .task(let reference): return reference
        }
    }
}
