/// Test directives written inside a prompt (`#fake:no-image`, `#fake:images=3`,
/// `#fake:status=503`, ...). Only the fake reads them; a client passes prompts through
/// untouched, so tests can steer one task's outcome without configuring the server.
struct Directives: Sendable {
    /// 200 with a safety refusal and no image.
    var noImage = false
    /// Number of images in one response.
    var images: Int?
    /// Real JPEG bytes labelled image/jpeg.
    var jpeg = false
    /// The data URL (or media_type) says image/jpeg, the bytes are PNG.
    var mimeMismatch = false
    /// Answer with this HTTP error status and OpenRouter's error body.
    var status: Int?
    /// `/images`: a failed (unbilled) generation, 502.
    var fail = false
    /// `#fake:fault=KIND`: a fault kind by its command-line name (`402inflight`,
    /// `429upstream`, `error200bare429`, `reset`, ...), on every attempt of this request
    /// unless `#fake:fault-attempts=N` limits it to the first N.
    var fault: FaultKind?
    var faultAttempts: Int?
    /// `#fake:refuse=REASON` (`content_filter`, `image_prohibited_content`,
    /// `prohibited_content`, `image_safety`, `no_image`, `image_other`): a billed refusal.
    /// Deterministic reasons refuse every attempt; the others only the first, unless
    /// `#fake:refuse-attempts=N` says how many.
    var refusal: Refusal?
    var refusalAttempts: Int?
    /// `#fake:first-byte=S`: S more seconds of silence (no headers) before the answer.
    var firstByte: Double?
    /// `#fake:pcm-rate=N`: speech pcm at N Hz (said in `Content-Type: audio/pcm;rate=N;channels=1`).
    var pcmRate: Int?
    /// `#fake:video-seconds=S`: this video job takes S seconds.
    var videoSeconds: Double?
    /// `#fake:video-fail`: the video job ends `failed` with an error text.
    var videoFailure: String?
    /// `#fake:drop-answer`: the 202 of the first submit of this body is lost (connection
    /// reset) after the job was made; a later submit of the same body is answered.
    var dropAnswer = false
    /// `#fake:poll-faults=N`: the job's first N polls answer 500.
    var pollFaults: Int?
    /// `#fake:foreign-url`: the finished job's `unsigned_urls` point at another origin.
    var foreignURL = false
    /// `#fake:video-cancel`, `#fake:video-expire`: the video job ends `cancelled` / `expired`.
    var videoEnding: String?
    /// `#fake:video-billed`: a job that ends failed, cancelled or expired is billed all the same.
    var videoBilled = false
    /// `#fake:poll-status=401|404|500`: the status of this job's poll faults (`poll-faults=N`).
    var pollStatus: Int?
    /// `#fake:content-fault=500|502|truncate`: the job's downloads fail so, the first
    /// `#fake:content-faults=N` of them (every one without it).
    var contentFault: FaultKind?
    var contentFaults: Int?
    /// `#fake:polling-url=relative|absolute|foreign`: how this job's `polling_url` is written.
    var pollingURL: VideoPollingURL?
    /// `#fake:quicktime`: the finished video is QuickTime (`video/quicktime`, brand `qt  `).
    var quickTime = false
    /// `#fake:job-then-status=S`: the submit makes (and bills) the job, then answers status S
    /// (a gateway 502/503/504/524 that came after the work was done).
    var jobThenStatus: Int?
    /// `#fake:amplitude=A` (0 < A <= 1): speech is an audible 400 Hz tone peaking at A of
    /// full scale (mp3 encoded with LAME, or pcm), instead of mp3 silence / the quiet pcm tone.
    var amplitude: Double?
    /// `#fake:pcm-channels=N`: speech pcm in N interleaved channels (said in `Content-Type`).
    var pcmChannels: Int?
    /// `#fake:ignore-hints`: chat answers at 1024x1024 whatever `image_config` asked, as a
    /// provider that drops the hints does.
    var ignoreHints = false

    init(_ text: String) {
        var rest = Substring(text)
        while let range = rest.range(of: "#fake:") {
            let after = rest[range.upperBound...]
            let end = after.firstIndex { $0.isWhitespace } ?? after.endIndex
            var token = after[..<end]
            while let last = token.last, ".,;:!?)]}\"'".contains(last) { token = token.dropLast() }
            apply(token.lowercased())
            rest = after[end...]
        }
    }

    private mutating func apply(_ token: String) {
        let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let value = parts.count > 1 ? parts[1] : nil
        switch name {
        case "no-image", "noimage": noImage = true
        case "images": images = value.flatMap { Int($0) }.map { min(max($0, 0), 10) }
        case "jpeg": jpeg = true
        case "mime-mismatch": mimeMismatch = true
        case "status": status = value.flatMap { Int($0) }.flatMap { (100...599).contains($0) ? $0 : nil }
        case "fail": fail = true
        case "fault": fault = value.flatMap { FaultKind(cliName: $0) }
        case "fault-attempts": faultAttempts = value.flatMap { Int($0) }
        case "refuse": refusal = value.flatMap { Refusal(directive: $0) }
        case "refuse-attempts": refusalAttempts = value.flatMap { Int($0) }
        case "ignore-hints": ignoreHints = true
        case "pcm-channels": pcmChannels = value.flatMap { Int($0) }.flatMap { (1...8).contains($0) ? $0 : nil }
        case "pcm-rate": pcmRate = value.flatMap { Int($0) }.flatMap { (8000...192_000).contains($0) ? $0 : nil }
        case "video-seconds":
            videoSeconds = value.flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? min($0, 3600) : nil }
        case "video-fail": videoFailure = "The provider rejected this video request (fake failure: video-fail)."
        case "drop-answer": dropAnswer = true
        case "poll-faults": pollFaults = value.flatMap { Int($0) }.map { min(max($0, 0), 1000) }
        case "foreign-url": foreignURL = true
        case "video-cancel": videoEnding = "cancelled"
        case "video-expire": videoEnding = "expired"
        case "video-billed": videoBilled = true
        case "poll-status": pollStatus = value.flatMap { Int($0) }.flatMap { (400...599).contains($0) ? $0 : nil }
        case "content-fault": contentFault = value.flatMap { FaultKind(cliName: $0) }
        case "content-faults": contentFaults = value.flatMap { Int($0) }.map { min(max($0, 0), 1000) }
        case "polling-url": pollingURL = value.flatMap { VideoPollingURL(rawValue: $0) }
        case "quicktime": quickTime = true
        case "job-then-status": jobThenStatus = value.flatMap { Int($0) }.flatMap { (400...599).contains($0) ? $0 : nil }
        case "amplitude": amplitude = value.flatMap { Double($0) }.flatMap { $0 > 0 && $0 <= 1 ? $0 : nil }
        case "first-byte":
            firstByte = value.flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? min($0, 3600) : nil }
        default: break
        }
    }
}

extension Directives {
    /// The directive's fault kind, if it applies to this attempt (1-based).
    func fault(attempt: Int) -> FaultKind? {
        guard let fault else { return nil }
        if let limit = faultAttempts, attempt > limit { return nil }
        return fault
    }

    /// The directive's refusal, if it applies to this attempt (1-based).
    func refusal(attempt: Int) -> Refusal? {
        guard let refusal else { return nil }
        let limit = refusalAttempts ?? (refusal.deterministic ? Int.max : 1)
        return attempt <= limit ? refusal : nil
    }
}
