import Foundation
import NIOCore

/// One asynchronous video job the fake accepted: when it is due, how it ends, what it costs,
/// and the faults its polls and download still owe.
struct VideoJob: Sendable {
    let id: String
    let generationID: String
    let model: String
    let durationSeconds: Int
    let createdAt: Double
    /// Monotonic time from which the job is `in_progress`, and from which it is terminal.
    let startsAt: Double
    let endsAt: Double
    /// nil: completes; otherwise ends with `ending` and this text.
    let failure: String?
    /// How a job with a `failure` ends: `failed`, `cancelled` or `expired`.
    let ending: String
    /// What the job bills: its price when it completes, or when it ends otherwise and is
    /// billed all the same (`videoBillUnfinished`, `#fake:video-billed`); else 0.
    let cost: Double
    /// Seed of the clip's tint.
    let seed: UInt64
    /// `unsigned_urls` point at another origin (`#fake:foreign-url`).
    let foreignURL: Bool
    var pollFaultsLeft: Int
    /// The status of its poll faults (500, 401, 404).
    let pollFaultStatus: Int
    /// A download fault of `#fake:content-fault`, for this many more downloads (nil: every one).
    let contentFault: FaultKind?
    var contentFaultsLeft: Int?
    let pollingURL: VideoPollingURL
    let quickTime: Bool
    var polls = 0
    var downloads = 0

    func status(at now: Double) -> String {
        if now < startsAt { return "pending" }
        if now < endsAt { return "in_progress" }
        return failure == nil ? "completed" : ending
    }
}

/// `POST /videos` (validated against `VideoModelsCatalog`, 202 with the job), `GET
/// /videos/{id}` (the job progresses pending → in_progress → completed | failed over
/// `videoJobSeconds`), `GET /videos/{id}/content?index=0` (an `MP4Clip` of the requested
/// duration). Submissions are counted per request body, so tests can assert that a client
/// never submitted the same job twice.
extension FakeCore {
    /// Request bodies over this many bytes get 413, as OpenRouter's video API does.
    static let videoBodyLimit = 50 * 1024 * 1024

    private struct VideoAsk {
        let model: VideoModel
        let prompt: String
        let duration: Int
        /// `resolution`, or the one `size` implies (its shorter side: `1920x1080` is 1080p).
        let resolution: String?
        let audio: Bool
    }

    func submitVideo(_ request: IncomingRequest, context: GenerationContext) -> Reply {
        guard request.body.count <= FakeCore.videoBodyLimit else {
            return .error(413, Reply.standardMessage(for: 413), escapeSlashes: escape)
        }
        let ask: VideoAsk
        switch parseVideo(request.body) {
        case .success(let parsed): ask = parsed
        case .failure(let failure): return failure.reply
        }
        let directives = Directives(ask.prompt)
        if let status = directives.status {
            return statusError(status, identity: context.identity, request: request, model: ask.model.id)
        }
        var deliveryFault: FaultKind?
        if let kind = directives.fault(attempt: context.attempt), Faults.applies(kind, to: .videos) {
            if let reply = faultError(kind, identity: context.identity, request: request, model: ask.model.id) { return reply }
            deliveryFault = kind
        }
        let now = monotonicSeconds()
        let seconds = max(directives.videoSeconds ?? config.videoJobSeconds, 0)
        let bodyHash = FNV1a.hash(request.body)
        // Drawn per submit of this body (its first, its second...): a body failed or dropped
        // once is not bound to be again when it is submitted again.
        let submitsBefore = state.withLock { UInt64($0.videoSubmissionsByBody[bodyHash, default: 0]) }
        var rng = SplitMix64(seed: config.faults.seed ^ (bodyHash &* 0x9E37_79B9_7F4A_7C15) ^ (submitsBefore &* 0xD1B5_4A32_D192_ED03))
        _ = rng.next()
        let failDraw = rng.nextDouble()
        let dropDraw = rng.nextDouble()
        let endDraw = rng.nextDouble()
        var failure = directives.videoFailure
        var ending = "failed"
        if failure == nil, failDraw < config.videoFailureRate {
            failure = "The provider could not generate this video (fake failure). You were not charged."
        }
        if failure == nil, let end = directives.videoEnding ?? (endDraw < config.videoCancelRate
            ? "cancelled" : endDraw < config.videoCancelRate + config.videoExpireRate ? "expired" : nil)
        {
            ending = end
            failure = end == "cancelled"
                ? "The job was cancelled by the provider (fake: video-cancel)." : "The job expired before it finished (fake: video-expire)."
        }
        let billedAnyway = directives.videoBilled || config.videoBillUnfinished
        let generationID = nextGenerationID()
        let price = ask.model.cost(seconds: ask.duration, resolution: ask.resolution, audio: ask.audio)
        let cost = failure == nil || billedAnyway ? price : 0
        let (job, firstOfBody): (VideoJob, Bool) = state.withLock { state in
            state.videoJobCounter += 1
            let id = "job-\(state.videoJobCounter)-\(String(generationID.suffix(12)))"
            let job = VideoJob(
                id: id, generationID: generationID, model: ask.model.id, durationSeconds: ask.duration, createdAt: now,
                startsAt: now + seconds * 0.25, endsAt: now + seconds, failure: failure, ending: ending, cost: cost,
                seed: bodyHash, foreignURL: directives.foreignURL, pollFaultsLeft: directives.pollFaults ?? 0,
                pollFaultStatus: directives.pollStatus ?? config.videoPollFaultStatus, contentFault: directives.contentFault,
                contentFaultsLeft: directives.contentFaults, pollingURL: directives.pollingURL ?? config.videoPollingURL,
                quickTime: directives.quickTime || config.videoQuickTime)
            state.videoJobs[id] = job
            state.stats.videoSubmissions += 1
            let earlier = state.videoSubmissionsByBody[bodyHash, default: 0]
            if earlier >= max(config.videoJobsPerBody, 1) { state.stats.duplicateVideoSubmissions += 1 }
            state.videoSubmissionsByBody[bodyHash] = earlier + 1
            let hex = String(bodyHash, radix: 16)
            state.stats.videoSubmissionsByBody[String(repeating: "0", count: 16 - hex.count) + hex] = earlier + 1
            if cost > 0 {
                var record = GenerationRecord(
                    id: generationID, model: ask.model.id, provider: ask.model.provider, cost: cost, createdAt: .init(),
                    tokensPrompt: 0, tokensCompletion: 0, mediaCount: 1, finishReason: "stop", nativeFinishReason: "stop",
                    apiType: "video")
                record.visibleAt = now + seconds
                state.store(record)
            }
            return (job, earlier == 0)
        }
        if let status = directives.jobThenStatus {
            // The job was made and will be billed; the answer is a gateway error all the same.
            state.withLock { $0.stats.videoJobsAnsweredWithError += 1 }
            var reply = statusError(status, identity: context.identity, request: request, model: ask.model.id)
            reply.headers.append(("X-Generation-Id", generationID))
            return reply
        }
        // As every generation answer: its id in the headers, before the body.
        var reply = Reply.json(202, jobDocument(job, status: "pending", request: request), escapeSlashes: escape, headers: [("X-Generation-Id", generationID)])
        if directives.dropAnswer && firstOfBody || dropDraw < config.videoDropSubmitRate {
            // The job exists and will be billed; its id never reaches the client.
            state.withLock { $0.stats.droppedVideoSubmitAnswers += 1 }
            reply.delivery = .resetMidBody
        } else if let deliveryFault {
            reply.deliveryFault = deliveryFault
        }
        return reply
    }

    func pollVideo(_ request: IncomingRequest, id: String) -> Reply {
        let now = monotonicSeconds()
        enum Outcome {
            case unknown
            case fault(Int)
            case job(VideoJob)
        }
        let pollFaultRate = config.videoPollFaultRate
        let seed = config.faults.seed
        let outcome: Outcome = state.withLock { state in
            state.stats.videoPolls += 1
            guard var job = state.videoJobs[id] else { return .unknown }
            job.polls += 1
            var rng = SplitMix64(seed: seed ^ FNV1a.hash(Array(id.utf8)) ^ (UInt64(job.polls) &* 0xD1B5_4A32_D192_ED03))
            _ = rng.next()
            let faulted = job.pollFaultsLeft > 0 || rng.nextDouble() < pollFaultRate
            if job.pollFaultsLeft > 0 { job.pollFaultsLeft -= 1 }
            state.videoJobs[id] = job
            if faulted { state.stats.videoPollFaults += 1 }
            return faulted ? .fault(job.pollFaultStatus) : .job(job)
        }
        switch outcome {
        case .unknown, .fault(404): return .error(404, "Video job \(id) not found", escapeSlashes: escape)
        case .fault(let status): return .error(status, Reply.standardMessage(for: status), escapeSlashes: escape)
        case .job(let job): return .json(200, jobDocument(job, status: job.status(at: now), request: request), escapeSlashes: escape)
        }
    }

    func videoContent(_ request: IncomingRequest, id: String) -> Reply {
        guard let job = state.withLock({ $0.videoJobs[id] }) else {
            return .error(404, "Video job \(id) not found", escapeSlashes: escape)
        }
        let index = request.queryValue("index") ?? "0"
        guard index == "0" else { return .error(400, "index \(index) is out of range: the job has 1 video", escapeSlashes: escape) }
        guard job.status(at: monotonicSeconds()) == "completed" else {
            return .error(400, "Video job \(id) has no content: it is \(job.status(at: monotonicSeconds()))", escapeSlashes: escape)
        }
        let fault: FaultKind? = state.withLock { state in
            guard var stored = state.videoJobs[id] else { return nil }
            stored.downloads += 1
            var fault: FaultKind?
            if let kind = stored.contentFault, stored.contentFaultsLeft.map({ $0 > 0 }) ?? true {
                fault = kind
                stored.contentFaultsLeft = stored.contentFaultsLeft.map { $0 - 1 }
            } else if config.videoContentFaultRate > 0, !config.videoContentFaultKinds.isEmpty {
                var rng = SplitMix64(seed: config.faults.seed ^ FNV1a.hash(Array(id.utf8)) ^ (UInt64(stored.downloads) &* 0x94D0_49BB_1331_11EB))
                _ = rng.next()
                if rng.nextDouble() < config.videoContentFaultRate {
                    fault = config.videoContentFaultKinds[Int(rng.next() % UInt64(config.videoContentFaultKinds.count))]
                }
            }
            state.videoJobs[id] = stored
            if fault != nil { state.stats.videoContentFaults += 1 } else { state.stats.videoDownloads += 1 }
            return fault
        }
        switch fault {
        case nil, .truncatedBody?: break
        case .badGateway?: return .error(502, Reply.standardMessage(for: 502), escapeSlashes: escape)
        case .some: return .error(500, Reply.standardMessage(for: 500), escapeSlashes: escape)
        }
        // The clip is made only for an answer that carries it.
        let clip = MP4Clip.bytes(durationSeconds: job.durationSeconds, seed: job.seed, quickTime: job.quickTime)
        var buffer = ByteBufferAllocator().buffer(capacity: clip.count)
        buffer.writeBytes(clip)
        var reply = Reply.bytes(200, contentType: job.quickTime ? "video/quicktime" : "video/mp4", buffer)
        if fault == .truncatedBody { reply.delivery = .truncated }
        return reply
    }

    private func jobDocument(_ job: VideoJob, status: String, request: IncomingRequest) -> JSONOut {
        let host = request.header("Host") ?? "127.0.0.1"
        let pollingURL = switch job.pollingURL {
        case .relative: "/api/v1/videos/\(job.id)"
        case .absolute: "http://\(host)/api/v1/videos/\(job.id)?via=polling_url"
        case .foreign: "http://polling.fake-openrouter.invalid/api/v1/videos/\(job.id)"
        }
        var fields: [(String, JSONOut)] = [
            ("id", .string(job.id)), ("polling_url", .string(pollingURL)),
            ("status", .string(status)), ("generation_id", .string(job.generationID)),
        ]
        if ["failed", "cancelled", "expired"].contains(status), let failure = job.failure {
            fields.append(("error", .string(failure)))
            if job.cost > 0 { fields.append(("usage", .object([("cost", .double(job.cost)), ("is_byok", .bool(false))]))) }
        }
        if status == "completed" {
            let origin = job.foreignURL ? "http://storage.fake-openrouter.invalid" : "http://\(host)"
            fields.append(("unsigned_urls", .array([.string("\(origin)/api/v1/videos/\(job.id)/content?index=0")])))
            fields.append(("usage", .object([("cost", .double(job.cost)), ("is_byok", .bool(false))])))
        }
        return .object(fields)
    }

    private struct VideoRejection: Error {
        let reply: Reply
    }

    private func parseVideo(_ body: [UInt8]) -> Result<VideoAsk, VideoRejection> {
        let escape = self.escape
        func fail(_ message: String) -> Result<VideoAsk, VideoRejection> {
            .failure(VideoRejection(reply: .error(400, message, escapeSlashes: escape)))
        }
        guard case .success(let object) = JSONIn.object(body) else { return fail("Invalid JSON in request body") }
        guard let modelID = JSONIn.string(object["model"]), !modelID.isEmpty else {
            return fail("\"model\" is required and must be a string")
        }
        guard let model = VideoModelsCatalog.model(modelID) else { return fail("\(modelID) is not a valid video model ID") }
        var prompt = ""
        if !JSONIn.isNull(object["prompt"]) {
            guard let text = JSONIn.string(object["prompt"]) else { return fail("\"prompt\" must be a string") }
            prompt = text
        }
        var duration = model.durations.first ?? 4
        if !JSONIn.isNull(object["duration"]) {
            guard let value = JSONIn.integer(object["duration"]), value >= 1 else { return fail("\"duration\" must be a positive integer") }
            guard model.durations.contains(value) else {
                return fail("duration \(value) is not supported by \(model.id). Supported durations: "
                    + model.durations.map(String.init).joined(separator: ", "))
            }
            duration = value
        }
        func checkSet(_ field: String, _ allowed: [String]?) -> String? {
            guard !JSONIn.isNull(object[field]) else { return nil }
            guard let value = JSONIn.string(object[field]) else { return "\"\(field)\" must be a string" }
            guard let allowed else { return nil }
            return allowed.contains(value)
                ? nil : "\(field) \(value) is not supported by \(model.id). Supported: " + allowed.joined(separator: ", ")
        }
        if let message = checkSet("resolution", model.resolutions) { return fail(message) }
        if let message = checkSet("aspect_ratio", model.aspectRatios) { return fail(message) }
        if let message = checkSet("size", model.sizes) { return fail(message) }
        if !JSONIn.isNull(object["size"]), !JSONIn.isNull(object["aspect_ratio"]) || !JSONIn.isNull(object["resolution"]) {
            return fail("\"size\" replaces \"resolution\" and \"aspect_ratio\": send one or the other")
        }
        var audio = model.generateAudio ?? false
        if !JSONIn.isNull(object["generate_audio"]) {
            guard JSONIn.isBool(object["generate_audio"]), let flag = object["generate_audio"] as? Bool else {
                return fail("\"generate_audio\" must be a boolean")
            }
            if flag, model.generateAudio == false { return fail("\(model.id) does not generate audio") }
            audio = flag
        }
        if !JSONIn.isNull(object["seed"]) {
            guard JSONIn.integer(object["seed"]) != nil else { return fail("\"seed\" must be an integer") }
            if model.seed == false { return fail("\(model.id) does not take a seed") }
        }
        if !JSONIn.isNull(object["provider"]), !(object["provider"] is [String: Any]) {
            return fail("\"provider\" must be an object")
        }
        var frames = 0
        if !JSONIn.isNull(object["frame_images"]) {
            guard let items = object["frame_images"] as? [Any] else { return fail("\"frame_images\" must be an array") }
            var seen: Set<String> = []
            for (index, item) in items.enumerated() {
                guard let frame = item as? [String: Any], JSONIn.imageURL(of: frame, dataPrefix: "data:image/") != nil else {
                    return fail("frame_images[\(index)] must be {\"type\":\"image_url\",\"image_url\":{\"url\":...},\"frame_type\":...}")
                }
                guard let type = JSONIn.string(frame["frame_type"]), ["first_frame", "last_frame"].contains(type) else {
                    return fail("frame_images[\(index)].frame_type must be first_frame or last_frame")
                }
                if let allowed = model.frameImages, !allowed.contains(type) {
                    return fail("\(model.id) does not support \(type) images. Supported: " + allowed.joined(separator: ", "))
                }
                guard seen.insert(type).inserted else { return fail("frame_images has two \(type) images") }
                frames += 1
            }
        }
        if !JSONIn.isNull(object["input_references"]) {
            guard let items = object["input_references"] as? [Any] else { return fail("\"input_references\" must be an array") }
            for (index, item) in items.enumerated() {
                guard let reference = item as? [String: Any], let type = JSONIn.string(reference["type"]),
                    ["image_url", "audio_url", "video_url"].contains(type), let part = reference[type] as? [String: Any],
                    JSONIn.string(part["url"]) != nil
                else {
                    return fail("input_references[\(index)] must be {\"type\":\"image_url\",\"image_url\":{\"url\":...}}")
                }
            }
        }
        if prompt.isEmpty, frames == 0 { return fail("\"prompt\" is required unless a frame image is given") }
        var resolution = JSONIn.string(object["resolution"])
        if resolution == nil, let size = JSONIn.string(object["size"]) {
            let sides = size.lowercased().split(separator: "x").compactMap { Int($0) }
            if sides.count == 2 { resolution = "\(min(sides[0], sides[1]))p" }
        }
        return .success(VideoAsk(model: model, prompt: prompt, duration: duration, resolution: resolution, audio: audio))
    }
}
