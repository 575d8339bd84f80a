import Glibc
import HTTP
import JSON
import Support
import Tasks

/// Every exchange mediabatch has with OpenRouter, in one place: images (chat or /images),
/// speech, the cost of a generation, the key's credit and the model lists. It shapes each
/// request from a task, sends it on the connection it is given, and returns a typed result
/// or a classified `TaskFailure`. It never touches files, the queue or the journal, and it
/// never waits between attempts: retries and their delays belong to the runner.
public struct OpenRouterClient: Sendable {
    public let endpoint: OpenRouterEndpoint
    /// Models found image-only during this run (see `ModalityMemory`).
    public let modalities: ModalityMemory

    public init(endpoint: OpenRouterEndpoint, modalities: ModalityMemory = ModalityMemory()) {
        self.endpoint = endpoint
        self.modalities = modalities
    }

    /// Generates the images of one attempt at `task`. Their bytes are decoded in place inside
    /// `buffer` (see `ImagePlacement`), so they live as long as the caller keeps it unused.
    /// A chat request that asked `["image", "text"]` of a model serving images only (OpenRouter's
    /// 404 "No endpoints found that support the requested output modalities") is sent once
    /// more at once with `["image"]`, and the model's later requests ask that from the start.
    public func generateImages(
        _ task: ImageTask, references: [ReferenceImage], placement: ImagePlacement, on connection: HTTPConnection,
        into buffer: ByteArray
    ) throws(TaskFailure) -> ImageResult {
        if task.api == .images, task.imagesPerRequest > 1 {
            return try imagesWithShortfall(task, references: references, placement: placement, on: connection, into: buffer)
        }
        var task = task
        let mayNarrow = task.api == .chat && task.modalities.contains("text")
        if mayNarrow, modalities.isImageOnly(task.model.wireID) { task.modalities = ["image"] }
        do {
            return try sendImages(task, references: references, placement: placement, on: connection, into: buffer)
        } catch {
            guard mayNarrow, task.modalities.contains("text"), ModalityMemory.isModalitiesRefusal(error) else { throw error }
            modalities.remember(task.model.wireID)
            task.modalities = ["image"]
            return try sendImages(task, references: references, placement: placement, on: connection, into: buffer)
        }
    }

    /// `/images` with `n` > 1: `n` is an upper bound, and a provider may return fewer. The
    /// shortfall is asked for again (at most twice more), each answer in a buffer of its own;
    /// a shortfall request that fails leaves the images already paid for, not the task failed.
    /// Every request's generation id is kept (joined with commas, in request order, like a
    /// narration's chunks) and every request's cost counted, a failed one's too when billed.
    private func imagesWithShortfall(
        _ task: ImageTask, references: [ReferenceImage], placement: ImagePlacement, on connection: HTTPConnection,
        into buffer: ByteArray
    ) throws(TaskFailure) -> ImageResult {
        let first = try sendImages(task, references: references, placement: placement, on: connection, into: buffer)
        var images = first.images
        var cost = first.cost
        var generationIDs = first.generationID.map { [$0] } ?? []
        var rest = task
        for _ in 0..<2 where images.count < task.imagesPerRequest {
            rest.imagesPerRequest = task.imagesPerRequest - images.count
            let more: ImageResult
            do { more = try sendImages(rest, references: references, placement: placement, on: connection, into: ByteArray(headroom: buffer.headroom)) } catch {
                if let id = error.generationID { generationIDs.append(id) }
                if let billed = error.billedCost, billed > 0 { cost = billed + (cost ?? 0) }
                break
            }
            if let id = more.generationID { generationIDs.append(id) }
            cost = more.cost.map { $0 + (cost ?? 0) } ?? cost
            guard !more.images.isEmpty else { break }
            images += more.images
        }
        return ImageResult(
            images: images, cost: cost, generationID: generationIDs.isEmpty ? nil : generationIDs.joined(separator: ","), model: first.model,
            text: first.text)
    }

    private func sendImages(
        _ task: ImageTask, references: [ReferenceImage], placement: ImagePlacement, on connection: HTTPConnection,
        into buffer: ByteArray
    ) throws(TaskFailure) -> ImageResult {
        let body = try ImageRequest.body(for: task, references: references)
        let request = HTTPRequest(
            method: .post, url: endpoint.url(ImageRequest.path(for: task)), headers: endpoint.generationHeaders(category: "image-gen"),
            body: JSONEncoding.encode(body))
        return try generate(request, on: connection, into: buffer) { head throws(TaskFailure) in
            task.api == .images
                ? try ImageResponse.decodeImages(head, body: buffer, placement: placement)
                : try ImageResponse.decodeChat(head, body: buffer, placement: placement)
        }
    }

    /// Audio for one chunk of a narration (the whole text when it needs no chunks).
    public struct SpokenAudio: Sendable {
        public let audio: [UInt8]
        /// `X-Generation-Id`, for the cost lookup and the journal.
        public let generationID: String?
        /// PCM only: the sample rate and channels `Content-Type` names (`audio/pcm;rate=24000;channels=1`).
        public var sampleRate: Int? = nil
        public var channels: Int? = nil
    }

    /// Synthesizes `text` with `task`'s model, voice and format. `buffer` receives the raw
    /// answer; the audio is copied out of it, so the buffer is free again on return.
    public func speak(_ task: SpeechTask, text: String, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> SpokenAudio {
        let request = HTTPRequest(
            method: .post, url: endpoint.url(SpeechRequest.path), headers: endpoint.generationHeaders(category: "audio-gen"),
            body: JSONEncoding.encode(.object(SpeechRequest.body(for: task, input: text))))
        return try generate(request, on: connection, into: buffer) { head throws(TaskFailure) in
            let parameters = SpeechResponse.pcmParameters(head.contentType)
            return SpokenAudio(
                audio: try SpeechResponse.audio(from: head, body: buffer, format: task.format), generationID: head.header("x-generation-id"),
                sampleRate: parameters.rate, channels: parameters.channels)
        }
    }

    /// What `GET /generation?id=` says of a generation's cost.
    public enum GenerationCost: Sendable, Equatable {
        /// The final cost in dollars.
        case settled(Double)
        /// Not known yet (OpenRouter answers 404 for a while after a generation ends).
        case pending
        /// It cannot be learned: an error answer, or no cost in it.
        case unavailable
    }

    /// Asks once for the cost of generation `id`; the caller decides whether and when to ask again.
    public func generationCost(id: String, on connection: HTTPConnection) -> GenerationCost {
        let url = endpoint.url("/generation?id=" + OpenRouterEndpoint.percentEncoded(id))
        guard let response = try? connection.perform(HTTPRequest(method: .get, url: url, headers: endpoint.headers(category: "audio-gen"))) else {
            return .pending
        }
        switch response.status {
        case 200: return SpeechResponse.generationCost(response.body).map(GenerationCost.settled) ?? .unavailable
        case 404: return .pending
        default: return .unavailable
        }
    }

    /// The key's standing, from `GET /key`.
    public struct KeyStatus: Sendable {
        /// Dollars left under the key's limit; nil when it has no limit.
        public let limitRemaining: Double?
        /// When the limit resets, as OpenRouter says it (`limit_reset`), when it does.
        public let limitReset: String?
    }

    public func keyStatus(on connection: HTTPConnection) throws(OpenRouterError) -> KeyStatus {
        let document = try getJSON("/key", on: connection)
        let data = document["data"]
        let reset = data?["limit_reset"].flatMap { $0.stringValue ?? $0.doubleValue.map { String($0) } }
        return KeyStatus(limitRemaining: data?["limit_remaining"]?.doubleValue, limitReset: reset)
    }

    /// The model lists (`/models?output_modalities=all`, `/images/models` and
    /// `/videos/models`), as a catalog. A server without the video list (404) still gives a
    /// catalog, its video models none; a video list that failed otherwise (a 5xx, a timeout)
    /// is left unknown, so the catalog counts as stale and is asked for again next time
    /// (not cached empty for a day, which would leave every video unpriced).
    public func catalog(on connection: HTTPConnection) throws(OpenRouterError) -> ModelCatalog {
        let models = try getJSON("/models?output_modalities=all", on: connection)
        let images = try getJSON("/images/models", on: connection)
        let videos: JSON?
        do { videos = try videoModelsDocument(on: connection) } catch {
            videos = error.failure.status == 404 ? ["data": []] : nil
        }
        return ModelCatalog(modelsDocument: models, imagesDocument: images, videosDocument: videos, fetched: Int(time(nil)))
    }

    private func getJSON(_ path: String, on connection: HTTPConnection) throws(OpenRouterError) -> JSON {
        let body = ByteArray()
        do throws(TaskFailure) {
            let head = try send(HTTPRequest(method: .get, url: endpoint.url(path), headers: endpoint.headers(category: "image-gen")), on: connection, into: body)
            guard head.status == 200 else { throw ErrorClassifier.failure(status: head.status, body: body, retryAfter: head.retryAfter, headers: head.headers) }
            do { return try body.withUnsafeBytes { try JSONEncoding.parse($0, source: path) } } catch {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "malformed \(path) response")
            }
        } catch {
            throw OpenRouterError(path: path, failure: error)
        }
    }

    /// `perform`, with a failed transfer classified for the retry layer (`failure(for:)`).
    /// Sends a generation request and decodes its answer. Any failure carries the generation
    /// the answer named (`X-Generation-Id`, from headers that arrived before a transfer broke
    /// off, too): a chat generation is billed whether or not its body arrives.
    private func generate<Result>(
        _ request: HTTPRequest, on connection: HTTPConnection, into buffer: ByteArray,
        decode: (HTTPResponseHead) throws(TaskFailure) -> Result
    ) throws(TaskFailure) -> Result {
        let head: HTTPResponseHead
        do { head = try connection.perform(request, into: buffer) } catch {
            var failure = Self.failure(for: error)
            failure.generationID = error.header("x-generation-id")
            throw failure
        }
        do { return try decode(head) } catch {
            var failure = error
            if failure.generationID == nil { failure.generationID = head.header("x-generation-id") }
            throw failure
        }
    }

    private func send(_ request: HTTPRequest, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> HTTPResponseHead {
        do { return try connection.perform(request, into: buffer) } catch { throw Self.failure(for: error) }
    }

    /// A failed transfer (or connection set-up) classified for the retry layer: too large is
    /// permanent, and so is a set-up that libcurl refused (nothing was sent, and trying again
    /// meets the same refusal); aborted is an interruption; anything else (connect, timeout,
    /// reset) is transient.
    package static func failure(for error: HTTPError) -> TaskFailure {
        switch error.kind {
        case .tooLarge: return TaskFailure(.permanent, cause: .transport(.tooLarge), message: error.description)
        case .setup: return TaskFailure(.permanent, cause: .transport(.setup), message: error.description)
        case .aborted: return TaskFailure(.interrupted, cause: .interrupted, message: "stopped while the request was in flight")
        case .connect: return TaskFailure(.transient, cause: .transport(.connect), message: error.description)
        case .timeout: return TaskFailure(.transient, cause: .transport(.timeout), message: error.description)
        case .transport:
            // A Retry-After that arrived before the transfer broke still holds.
            var failure = TaskFailure(
                .transient, cause: .transport(.broken), message: error.description,
                retryAfter: error.retryAfter)
            failure.answerBegan = error.answerBegan
            return failure
        }
    }
}

/// An exchange with OpenRouter that is not a task's (a model list, the key's credit) failed:
/// which endpoint, and the classified failure behind it.
public struct OpenRouterError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let failure: TaskFailure

    public var description: String { "GET \(path): \(failure.description)" }
}
