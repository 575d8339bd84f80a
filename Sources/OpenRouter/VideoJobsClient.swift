import HTTP
import JSON
import Support
import Tasks

/// OpenRouter's asynchronous video API, as `OpenRouterClient` speaks it: submit a job
/// (`POST /videos`), ask where it stands (`GET /videos/{id}`), stream its file
/// (`GET /videos/{id}/content?index=0`), and list the video models. Submitting is not
/// idempotent: the caller journals before and after, and `VideoSubmit.mayHaveCreatedJob`
/// says whether a failed submit may all the same have made (and billed) a job.
extension OpenRouterClient {
    /// Submits one job; its state (`pending`, with the job id) once the 202 arrived.
    public func submitVideo(body: [UInt8], on connection: HTTPConnection) throws(TaskFailure) -> VideoJobState {
        let request = HTTPRequest(
            method: .post, url: endpoint.url(VideoRequest.path), headers: endpoint.generationHeaders(category: "video-gen"), body: body)
        let buffer = ByteArray()
        let head: HTTPResponseHead
        do { head = try connection.perform(request, into: buffer) } catch { throw Self.failure(for: error) }
        guard (200..<300).contains(head.status) else {
            throw ErrorClassifier.failure(status: head.status, body: buffer, retryAfter: head.retryAfter, headers: head.headers)
        }
        guard let document = try? buffer.withUnsafeBytes({ try JSONEncoding.parse($0, source: "POST /videos") }),
            let state = VideoJobState.decode(document)
        else {
            throw TaskFailure(.transient, cause: .response, status: head.status, message: "the answer to POST /videos names no job")
        }
        return state
    }

    /// Where job `id` stands. `pollingURL` is used when given and relative, or absolute on
    /// the API's own origin (scheme, host and port of the base URL); else `/videos/{id}`. The
    /// reference says only that it "may be relative": an absolute one elsewhere is not followed,
    /// because the poll carries the key, which goes to the API's own origin alone (as for
    /// `unsigned_urls`); the job is then polled where the reference documents it.
    public func pollVideo(id: String, pollingURL: String? = nil, on connection: HTTPConnection) throws(TaskFailure) -> VideoJobState {
        let url = pollingURL.flatMap { endpoint.sameOriginURL($0) } ?? endpoint.url("/videos/" + OpenRouterEndpoint.percentEncoded(id))
        let buffer = ByteArray()
        let head: HTTPResponseHead
        do { head = try connection.perform(HTTPRequest(method: .get, url: url, headers: endpoint.headers(category: "video-gen")), into: buffer) } catch {
            throw Self.failure(for: error)
        }
        guard head.status == 200 else {
            throw ErrorClassifier.failure(status: head.status, body: buffer, retryAfter: head.retryAfter, headers: head.headers)
        }
        guard let document = try? buffer.withUnsafeBytes({ try JSONEncoding.parse($0, source: "GET /videos/\(id)") }),
            let state = VideoJobState.decode(document)
        else {
            throw TaskFailure(.transient, cause: .response, status: 200, message: "the answer to GET /videos/\(id) names no job status")
        }
        return state
    }

    /// Streams the finished job's video to `consume` (see `HTTPConnection.perform(_:streamingTo:errorBody:)`);
    /// returns its `Content-Type`. From `unsigned_urls` only when they lie on the API's own
    /// origin (they need the key, which never goes elsewhere); else from `/videos/{id}/content?index=0`.
    public func downloadVideo(
        _ job: VideoJobState, on connection: HTTPConnection, into consume: @escaping (UnsafeRawBufferPointer) -> Bool
    ) throws(TaskFailure) -> String? {
        let url = job.unsignedURLs.first.flatMap { endpoint.sameOriginURL($0) }
            ?? endpoint.url("/videos/" + OpenRouterEndpoint.percentEncoded(job.id) + "/content?index=0")
        var headers = endpoint.headers(category: "video-gen").filter { $0.name != "Accept" }
        headers.append(("Accept", "video/*"))
        let errorBody = ByteArray()
        let head: HTTPResponseHead
        do {
            head = try connection.perform(HTTPRequest(method: .get, url: url, headers: headers), streamingTo: consume, errorBody: errorBody)
        } catch {
            throw Self.failure(for: error)
        }
        guard (200..<300).contains(head.status) else {
            throw ErrorClassifier.failure(status: head.status, body: errorBody, retryAfter: head.retryAfter, headers: head.headers)
        }
        return head.contentType
    }

    /// `GET /videos/models`, as OpenRouter sent it.
    public func videoModelsDocument(on connection: HTTPConnection) throws(OpenRouterError) -> JSON {
        let path = "/videos/models"
        let body = ByteArray()
        do throws(TaskFailure) {
            let head: HTTPResponseHead
            do { head = try connection.perform(HTTPRequest(method: .get, url: endpoint.url(path), headers: endpoint.headers(category: "video-gen")), into: body) } catch {
                throw Self.failure(for: error)
            }
            guard head.status == 200 else { throw ErrorClassifier.failure(status: head.status, body: body, retryAfter: head.retryAfter, headers: head.headers) }
            do { return try body.withUnsafeBytes { try JSONEncoding.parse($0, source: path) } } catch {
                throw TaskFailure(.transient, cause: .response, status: 200, message: "malformed \(path) response")
            }
        } catch {
            throw OpenRouterError(path: path, failure: error)
        }
    }
}

/// What a failed submit means for the money: whether the job may exist all the same.
public enum VideoSubmit {
    /// Gateway answers that may come after the job was made: a proxy or edge in front of
    /// the service (502 bad gateway, 503 unavailable, 504 gateway timeout, 524 Cloudflare's
    /// origin timeout) answers for a request it passed on and whose end it did not see.
    /// The reference lists only 500 among a submit's errors and nowhere says that a job
    /// cannot exist after a 5xx, and a submit is not idempotent (a second one is a second
    /// billed job): so these are taken as a lost answer, not as "no job was made".
    public static let gatewayStatuses: Set<Int> = [502, 503, 504, 524]

    /// Whether `failure` is an answer with one of the `gatewayStatuses`.
    public static func isGatewayAnswer(_ failure: TaskFailure) -> Bool {
        guard case .api = failure.cause, let status = failure.status else { return false }
        return gatewayStatuses.contains(status)
    }

    /// True when the request may have reached OpenRouter and made a job whose answer was
    /// lost (a timeout, a reset, an answer cut short or unreadable, a gateway's 502, 503, 504
    /// or 524): the task is then `uncertain` and is not submitted again unless the user says
    /// so. False when nothing was sent (connect, set-up) or OpenRouter itself answered with an
    /// error that comes before any work (400, 401, 402, 404, 413, 429, 500, 529...: no job).
    public static func mayHaveCreatedJob(_ failure: TaskFailure) -> Bool {
        switch failure.cause {
        case .transport(let transport): return transport != .connect && transport != .setup
        case .interrupted, .response: return true
        case .api: return isGatewayAnswer(failure)
        case .file, .plan, .producer: return false
        }
    }
}

extension OpenRouterEndpoint {
    /// `scheme://host[:port]` of an absolute URL, lower-cased; nil for a relative one.
    package static func origin(of url: String) -> String? {
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") { scheme = "https://" } else if lower.hasPrefix("http://") { scheme = "http://" } else { return nil }
        let host = lower.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains("@") else { return nil }
        return scheme + host
    }

    /// `url` made absolute against the API's origin when relative (`/api/v1/videos/...`), or
    /// as it is when absolute on the same origin; nil when it points anywhere else (the key
    /// is sent with it).
    package func sameOriginURL(_ url: String) -> String? {
        guard let own = OpenRouterEndpoint.origin(of: baseURL) else { return nil }
        if url.hasPrefix("/") && !url.hasPrefix("//") { return own + url }
        return OpenRouterEndpoint.origin(of: url) == own ? url : nil
    }
}
