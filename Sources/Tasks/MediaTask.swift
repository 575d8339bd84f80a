import JSON
import Support

/// One concrete unit of work after expansion: exactly one OpenRouter request (or, for long
/// narration, one request per chunk) and the files it writes.
public enum MediaTask: Sendable {
    case image(ImageTask)
    case speech(SpeechTask)
    case video(VideoTask)

    public var id: String {
        switch self {
        case .image(let task): return task.id
        case .speech(let task): return task.id
        case .video(let task): return task.id
        }
    }

    public var origin: TaskOrigin {
        switch self {
        case .image(let task): return task.origin
        case .speech(let task): return task.origin
        case .video(let task): return task.origin
        }
    }

    public var output: OutputTarget {
        switch self {
        case .image(let task): return task.output
        case .speech(let task): return task.output
        case .video(let task): return task.output
        }
    }

    public var isImage: Bool { if case .image = self { return true } else { return false } }
    public var isVideo: Bool { if case .video = self { return true } else { return false } }

    /// The local files the task reads when it runs: reference images, the text file.
    /// (Reference URLs are not files; they appear here as given, and never match a file.)
    /// Other tasks' outputs (`@id`) are not among them: see `references`.
    public var inputs: [String] {
        switch self {
        case .image(let task): return task.inputImages.filter { !TaskReference.looksLikeReference($0) }
        case .speech(let task): return (task.textFile.map { [$0] } ?? []) + (task.lexiconFile.map { [$0] } ?? [])
        case .video(let task): return task.imageInputs.filter { if case .task = $0 { false } else { true } }.map(\.location)
        }
    }

    /// Whether it takes another task's output (cheap: checked for every task of a batch).
    public var hasReferences: Bool {
        switch self {
        case .image(let task): return task.inputImages.contains(where: TaskReference.looksLikeReference)
        case .speech: return false
        case .video(let task): return task.imageInputs.contains { if case .task = $0 { true } else { false } }
        }
    }

    /// Other tasks' outputs this task reads (`@id`, `@id#n`), in the order of its fields.
    /// A new task kind lists here the fields that may name another task's output.
    public var references: [TaskReference] {
        switch self {
        case .image(let task):
            return task.inputImages.enumerated().compactMap { index, text in
                TaskReference(parsing: text, field: "inputImages", index: task.referenceListed ? index : nil)
            }
        case .speech: return []
        case .video(let task):
            func reference(_ input: VideoImageInput?, _ field: String, _ index: Int? = nil) -> TaskReference? {
                guard case .task(let text)? = input else { return nil }
                return TaskReference(parsing: text, field: field, index: index)
            }
            return [reference(task.firstFrame, "firstFrame"), reference(task.lastFrame, "lastFrame")].compactMap { $0 }
                + task.references.enumerated().compactMap { reference($1, "references", task.references.count > 1 ? $0 : nil) }
        }
    }

    /// Whether its answer is images another task can take as input.
    public var makesImages: Bool { isImage }

    /// The same task reading the producers' files in place of its references (`resolved`
    /// gives one per reference, by its text). A new task kind substitutes its own fields.
    public func resolvingReferences(_ resolved: [String: ResolvedReference]) -> MediaTask {
        switch self {
        case .image(var task):
            task.inputImages = task.inputImages.map { resolved[$0]?.path ?? $0 }
            return .image(task)
        case .speech: return self
        case .video(var task):
            func resolving(_ input: VideoImageInput) -> VideoImageInput {
                guard case .task(let text) = input, let path = resolved[text]?.path else { return input }
                return .file(path)
            }
            task.firstFrame = task.firstFrame.map(resolving)
            task.lastFrame = task.lastFrame.map(resolving)
            task.references = task.references.map(resolving)
            return .video(task)
        }
    }

    /// The stamps its request key is made with, one for each reference image (image tasks)
    /// in order: a file's `stamp` (path, size, modification time), a URL as given, and for
    /// another task's output `@id#n sha256:<hash of the producer's file>` (or `pending` when
    /// the producer has not written it yet: a key that stands for nothing done).
    public func keyStamps(stamp: (String) -> String, resolved: [String: ResolvedReference]) -> [String] {
        func stamped(_ text: String) -> String {
            guard TaskReference.looksLikeReference(text) else { return stamp(text) }
            return text + " " + (resolved[text].map { "sha256:" + $0.sha256 } ?? "pending")
        }
        switch self {
        case .image(let task): return task.inputImages.map(stamped)
        case .speech: return []
        case .video(let task): return task.imageInputs.map { input in if case .task(let text) = input { stamped(text) } else { stamp(input.location) } }
        }
    }
}

/// Where a task came from, for messages that send the user back to the manifest.
public struct TaskOrigin: Sendable, Equatable {
    public let file: String
    public let line: Int?
    public var description: String { line.map { "\(file):\($0)" } ?? file }

    package init(file: String, line: Int?) {
        self.file = file
        self.line = line
    }
}

/// Where a task's files go: `<folder>/<baseName>.<ext>`, or `<baseName>-<n>.<ext>` when a
/// response holds several images.
public struct OutputTarget: Sendable, Equatable, Hashable {
    /// Absolute path of the manifest's output folder (under the output root).
    public let folder: String
    /// Path relative to `folder`, without extension; may contain `/` for subfolders.
    public let baseName: String

    public func path(index: Int?, of total: Int, fileExtension: String) -> String {
        let suffix = total > 1 ? "-\(index ?? 1)" : ""
        return "\(folder)/\(baseName)\(suffix).\(fileExtension)"
    }

    package init(folder: String, baseName: String) {
        self.folder = folder
        self.baseName = baseName
    }
}

/// An image generation task, fully resolved: every default applied, every template filled.
public struct ImageTask: Sendable {
    public let id: String
    public let manifestName: String
    public let origin: TaskOrigin
    public let output: OutputTarget
    public let prompt: String
    public let model: ModelRef
    public let aspectRatio: String?
    public let resolution: String?
    /// `imageConfig` exactly as the user wrote it; merged over the derived hints.
    public let imageConfig: JSONObject?
    public let provider: JSON?
    public let fallbackModels: [String]?
    /// Absolute paths of reference images, sent as data URLs, `http(s)` URLs, or other
    /// tasks' outputs (`@id`, `@id#n`, see `TaskReference`) until the run resolves them.
    public internal(set) var inputImages: [String]
    /// `inputImages` was written as a list (its references are located with an index).
    public var referenceListed = true
    /// Which of `count` identical requests this is (1-based), part of the task key.
    public let variant: Int
    /// Which OpenRouter endpoint generates it.
    public var api: ImageAPI = .chat
    /// Output modalities for the chat path: `["image"]` for image-only models.
    public var modalities: [String] = ["image", "text"]
    /// Images asked for in one request (`n`, on the /images path only).
    public var imagesPerRequest: Int = 1
    /// Options of the /images path.
    public var seed: Int64?
    public var size: String?
    public var quality: String?
    public var outputFormat: String?
    public var background: String?
    /// `reasoning` for image models that think (an effort or a token budget).
    public var reasoning: JSON?
    /// `downscaleInputs`: reference files over OpenRouter's limits are shrunk before they are
    /// sent instead of refused at validation (part of the key: see `RequestKey`).
    public var downscaleInputs = false

    package init(id: String, manifestName: String, origin: TaskOrigin, output: OutputTarget, prompt: String, model: ModelRef, aspectRatio: String?, resolution: String?, imageConfig: JSONObject?, provider: JSON?, fallbackModels: [String]?, inputImages: [String], variant: Int, api: ImageAPI = .chat, modalities: [String] = ["image", "text"], imagesPerRequest: Int = 1, seed: Int64? = nil, size: String? = nil, quality: String? = nil, outputFormat: String? = nil, background: String? = nil, reasoning: JSON? = nil) {
        self.id = id
        self.manifestName = manifestName
        self.origin = origin
        self.output = output
        self.prompt = prompt
        self.model = model
        self.aspectRatio = aspectRatio
        self.resolution = resolution
        self.imageConfig = imageConfig
        self.provider = provider
        self.fallbackModels = fallbackModels
        self.inputImages = inputImages
        self.variant = variant
        self.api = api
        self.modalities = modalities
        self.imagesPerRequest = imagesPerRequest
        self.seed = seed
        self.size = size
        self.quality = quality
        self.outputFormat = outputFormat
        self.background = background
        self.reasoning = reasoning
    }
}

/// The two ways OpenRouter generates images: the chat path the product started on, and the
/// dedicated `POST /images` endpoint.
public enum ImageAPI: String, Sendable {
    case chat, images
}

/// How speech is delivered: mp3 as is, or raw 16-bit PCM written as a WAV file.
public enum SpeechFormat: String, Sendable {
    case mp3, pcm

    public var fileExtension: String { self == .mp3 ? "mp3" : "wav" }
}

/// A text-to-speech task, fully resolved. Text longer than `maxChars` is narrated in
/// chunks that are synthesized in parallel and joined into one file.
public struct SpeechTask: Sendable {
    public let id: String
    public let manifestName: String
    public let origin: TaskOrigin
    public let output: OutputTarget
    /// The text sent: made for speaking (Markdown, lexicon) when the manifest asks.
    public private(set) var text: String
    public let model: ModelRef
    /// The voice (the narrator's, with `dialogue`).
    public private(set) var voice: String
    public let speed: Double?
    public let format: SpeechFormat
    /// Sample rate of `pcm` audio (OpenRouter does not say; 24 kHz is usual).
    public let sampleRate: Int
    public let provider: JSON?
    public let maxChars: Int
    /// The ID3 title; the task id when absent.
    public let title: String?
    /// Also keep each chunk's own file next to the joined one.
    public let keepChunks: Bool
    /// The file the text was read from, when it came from one (an input of the task).
    public var textFile: String?
    /// The lexicon file that respelled the text, when there is one (an input of the task).
    public var lexiconFile: String?
    /// Where other voices read (`dialogue`): consecutive Character ranges of `text` with
    /// their voice, covering it; empty when `voice` reads all of it.
    public var voiceRuns: [VoiceRun] = []
    /// Character ranges of `text` that are headings (Markdown): no chunk ends with one.
    public var headings: [Range<Int>] = []
    /// Write subtitles beside the audio.
    public var subtitles: SubtitleFormat?

    /// The voice that reads the Character at `offset` of `text`.
    public func voice(at offset: Int) -> String {
        guard !voiceRuns.isEmpty else { return voice }
        var low = 0
        var high = voiceRuns.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if voiceRuns[middle].range.lowerBound <= offset { low = middle } else { high = middle - 1 }
        }
        return voiceRuns[low].voice
    }

    /// Every voice that reads some of the narration, its own (the narrator's) first.
    public var allVoices: [String] {
        guard !voiceRuns.isEmpty else { return [voice] }
        let narrator = voiceRuns.contains { $0.voice == voice } ? [voice] : []
        return (narrator + voiceRuns.map(\.voice)).uniqued()
    }

    /// The same task saying `text` instead.
    package func speaking(_ text: String) -> SpeechTask {
        var task = self
        task.text = text
        return task
    }

    /// The same task read by `voice`: one chunk's request when several voices read it.
    package func voiced(_ voice: String) -> SpeechTask {
        var task = self
        task.voice = voice
        return task
    }
    /// The EBU R128 integrated loudness (LUFS) the written file is brought to; nil leaves
    /// the audio as it came (`"loudness": "off"`).
    public var loudness: Double? = SpeechTask.defaultLoudness

    /// The loudness target when a manifest names none.
    public static let defaultLoudness = -18.0
    /// Which chapter of a longer text this narration is (`chapters`, or a `textFile`
    /// pattern as chapters); nil for a narration on its own.
    public var chapter: NarrationChapter?

    package init(id: String, manifestName: String, origin: TaskOrigin, output: OutputTarget, text: String, model: ModelRef, voice: String, speed: Double?, format: SpeechFormat, sampleRate: Int, provider: JSON?, maxChars: Int, title: String?, keepChunks: Bool, textFile: String? = nil) {
        self.id = id
        self.manifestName = manifestName
        self.origin = origin
        self.output = output
        self.text = text
        self.model = model
        self.voice = voice
        self.speed = speed
        self.format = format
        self.sampleRate = sampleRate
        self.provider = provider
        self.maxChars = maxChars
        self.title = title
        self.keepChunks = keepChunks
        self.textFile = textFile
    }
}

/// A stretch of a narration's text read by one voice (dialogue), as Character offsets.
public struct VoiceRun: Sendable, Equatable {
    public let range: Range<Int>
    public let voice: String

    public init(range: Range<Int>, voice: String) {
        self.range = range
        self.voice = voice
    }
}

/// The subtitle file written beside a narration's audio.
public enum SubtitleFormat: String, Sendable, CaseIterable {
    /// SubRip: `<audio>.srt`.
    case srt
    /// WebVTT: `<audio>.vtt`.
    case vtt
}
/// A narration's place in a book: its ID3 track number (`number`/`total`), title and album,
/// and the book file it is joined into (`book: true`).
public struct NarrationChapter: Sendable, Equatable {
    public let number: Int
    public let total: Int
    public let title: String
    public let album: String
    /// The joined book (`<folder>/<baseName>.mp3` and `.m3u`), when one is written.
    public let book: OutputTarget?

    package init(number: Int, total: Int, title: String, album: String, book: OutputTarget?) {
        self.number = number
        self.total = total
        self.title = title
        self.album = album
        self.book = book
    }
}
