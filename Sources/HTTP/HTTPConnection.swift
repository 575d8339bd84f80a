import CCurl
import Glibc
import Support
import Synchronization

/// A flag another thread sets to abort a transfer in flight; libcurl sees it in the
/// progress callback. Shared between the runner (signals) and every worker's connection.
public final class AbortSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func abort() { flag.store(true, ordering: .relaxed) }
    public var isAborted: Bool { flag.load(ordering: .relaxed) }
}

/// One worker's HTTP client: owns a `CURL *` easy handle for its whole life, so the
/// connection (and TLS session) stays alive between requests. Freed only in `deinit`.
/// The caller provides the buffer the body lands in, so workers can reuse a few buffers
/// instead of a fresh multi-megabyte allocation (and its page faults) per image.
/// Not `Sendable` (its conformance is marked unavailable): a connection belongs to one
/// worker at a time.
public final class HTTPConnection {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let limits: HTTPLimits
    private let abortSignal: AbortSignal?
    private let trace: HTTPTrace?
    /// Set when libcurl would not forget a finished request's headers or body: the handle
    /// may then point at freed memory, so no later transfer may run on it.
    private var unusable: HTTPError?

    /// A connection with `limits` applied. Initialises libcurl on first use.
    /// - Throws: `HTTPError` of kind `.setup` when libcurl cannot be initialised, no handle
    ///   can be made, or libcurl refuses one of the options (`limits` out of its range).
    public init(limits: HTTPLimits = HTTPLimits(), abortSignal: AbortSignal? = nil, trace: HTTPTrace? = nil) throws(HTTPError) {
        try CurlGlobal.ensureInitialised()
        guard let handle = curl_easy_init() else { throw HTTPError(kind: .setup, url: "", detail: "curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        self.limits = limits
        self.abortSignal = abortSignal
        self.trace = trace
        // Fully initialised: should an option be refused, `deinit` frees the handle.
        try configureOnce()
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func configureOnce() throws(HTTPError) {
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        // Image bodies are megabytes: read them in large gulps, not 16 KiB syscalls.
        try set(CURLOPT_BUFFERSIZE, 512 << 10)
        try set(CURLOPT_CONNECTTIMEOUT_MS, try milliseconds(limits.connectTimeout, for: CURLOPT_CONNECTTIMEOUT_MS))
        try set(CURLOPT_TIMEOUT_MS, try milliseconds(limits.totalTimeout, for: CURLOPT_TIMEOUT_MS))
        try set(CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond)
        try set(CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds)
        try check(mb_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer), CURLOPT_ERRORBUFFER)
        let body = mb_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().receiveBody(data, size * count)
        }
        try check(body, CURLOPT_WRITEFUNCTION)
        let header = mb_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().receiveHeader(data, size * count)
        }
        try check(header, CURLOPT_HEADERFUNCTION)
        // A POST body is handed to libcurl by this callback, never as POSTFIELDS, and no seek
        // callback is set: libcurl then cannot rewind it, so it cannot quietly send a request
        // again on a fresh connection when a reused one died after the request went out (a
        // generation or a video job paid twice, the second one unseen). The transfer fails
        // instead (`CURLE_SEND_FAIL_REWIND`), and the caller decides as for any broken one.
        let read = mb_curl_setopt_data_cb(handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
            Unmanaged<UploadBody>.fromOpaque(context!).takeUnretainedValue().read(into: buffer, size * count)
        }
        try check(read, CURLOPT_READFUNCTION)
        try set(CURLOPT_NOPROGRESS, 0)
        let progress = mb_curl_setopt_xferinfo_cb(handle) { context, _, received, _, sent in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().shouldAbort(received: received, sent: sent) ? 1 : 0
        }
        try check(progress, CURLOPT_XFERINFOFUNCTION)
    }

    /// Sends `request` and waits for the whole response, whose body lands in a fresh buffer
    /// that the response owns. For small exchanges; workers use `perform(_:into:)`.
    public func perform(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let body = ByteArray()
        let head = try perform(request, into: body)
        return HTTPResponse(head: head, body: body)
    }

    /// Sends `request` and waits for the whole response. Its body replaces the content of
    /// `body`, a buffer the caller owns and may reuse for the next transfer. Blocks the
    /// calling thread.
    public func perform(_ request: HTTPRequest, into body: ByteArray) throws(HTTPError) -> HTTPResponseHead {
        guard let trace else { return try transfer(request, into: body) }
        trace.sent(request)
        let started = MonotonicClock.now()
        do {
            let head = try transfer(request, into: body)
            trace.received(head, body: body, for: request, seconds: MonotonicClock.now() - started)
            return head
        } catch {
            trace.failed(error, for: request, seconds: MonotonicClock.now() - started)
            throw error
        }
    }

    /// Sends `request` and streams a successful (2xx) answer's body to `consume`, piece by
    /// piece as it arrives, never holding it whole (a video of hundreds of megabytes); an
    /// error answer's body lands in `body` as usual. `consume` returns false to stop the
    /// transfer (a write failed): then this throws a `.transport` error. Blocks the calling thread.
    public func perform(
        _ request: HTTPRequest, streamingTo consume: @escaping (UnsafeRawBufferPointer) -> Bool, errorBody body: ByteArray
    ) throws(HTTPError) -> HTTPResponseHead {
        trace?.sent(request)
        let started = MonotonicClock.now()
        do {
            let head = try transfer(request, into: body, stream: consume)
            trace?.received(head, body: body, for: request, seconds: MonotonicClock.now() - started)
            return head
        } catch {
            trace?.failed(error, for: request, seconds: MonotonicClock.now() - started)
            throw error
        }
    }

    private func transfer(
        _ request: HTTPRequest, into body: ByteArray, stream: ((UnsafeRawBufferPointer) -> Bool)? = nil
    ) throws(HTTPError) -> HTTPResponseHead {
        if let unusable { throw unusable }
        body.removeAll()
        let sink = ResponseSink(maxBytes: limits.maxResponseBytes, abortSignal: abortSignal, body: body, idleLimit: limits.idleTimeout)
        sink.stream = stream
        let headerList = CurlHeaderList(request.headers + [("Expect", "")])
        errorBuffer[0] = 0
        // Whatever happens below, the handle must not keep pointing at this request's
        // headers and body once they are gone.
        defer { forgetRequest() }

        let url = request.url
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(mb_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context), CURLOPT_WRITEDATA, url: url)
        try check(mb_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context), CURLOPT_HEADERDATA, url: url)
        try check(mb_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context), CURLOPT_XFERINFODATA, url: url)
        try check(mb_curl_setopt_str(handle, CURLOPT_URL, url), CURLOPT_URL, url: url)
        try check(mb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList.list), CURLOPT_HTTPHEADER, url: url)

        // `withUnsafeBytes` only rethrows untyped errors: the refusal comes out as a Result.
        let performed = request.body.withUnsafeBytes { body in
            Result { () throws(HTTPError) -> CURLcode in
                switch request.method {
                case .get:
                    try set(CURLOPT_HTTPGET, 1, url: url)
                case .post:
                    try set(CURLOPT_POST, 1, url: url)
                    try check(mb_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), CURLOPT_POSTFIELDSIZE_LARGE, url: url)
                }
                // Read once, front to back, while `body` is alive (see CURLOPT_READFUNCTION above).
                let upload = UploadBody(body)
                try check(mb_curl_setopt_ptr(handle, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque()), CURLOPT_READDATA, url: url)
                return withExtendedLifetime(upload) { curl_easy_perform(handle) }
            }
        }
        let code = try performed.get()
        withExtendedLifetime(headerList) {}

        guard code == CURLE_OK else { throw error(for: code, sink: sink, url: url) }
        var status = 0
        try checkInfo(mb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), url: url)
        return HTTPResponseHead(status: status, headers: sink.headers)
    }

    /// Clears the pointers into a finished request (its header list, its body). Should
    /// libcurl refuse, the handle is retired: every later transfer fails with that error.
    private func forgetRequest() {
        let headers = mb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)
        let fields = mb_curl_setopt_ptr(handle, CURLOPT_READDATA, nil)
        guard headers != CURLE_OK || fields != CURLE_OK, unusable == nil else { return }
        let refused = headers != CURLE_OK ? (CURLOPT_HTTPHEADER, headers) : (CURLOPT_READDATA, fields)
        unusable = HTTPError(
            kind: .setup, url: "",
            detail: Self.refusal(refused.0, refused.1) + "; the connection cannot be reused")
    }

    /// Sets a numeric option, turning libcurl's refusal into an error.
    private func set(_ option: CURLoption, _ value: Int, url: String = "") throws(HTTPError) {
        try check(mb_curl_setopt_long(handle, option, value), option, url: url)
    }

    /// `seconds` in whole milliseconds for libcurl; a value no `long` can hold (infinite,
    /// huge) is refused here rather than trapping in the conversion.
    private func milliseconds(_ seconds: Double, for option: CURLoption) throws(HTTPError) -> Int {
        guard let value = Int(exactly: (seconds * 1000).rounded(.towardZero)) else {
            throw HTTPError(kind: .setup, url: "", detail: "\(Self.name(option)) = \(seconds) s is out of range")
        }
        return value
    }

    /// libcurl's answer to setting `option`, a refusal turned into an error.
    private func check(_ code: CURLcode, _ option: CURLoption, url: String = "") throws(HTTPError) {
        guard code == CURLE_OK else { throw HTTPError(kind: .setup, url: url, detail: Self.refusal(option, code)) }
    }

    private func checkInfo(_ code: CURLcode, url: String) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw HTTPError(kind: .transport, url: url, detail: "cannot read the response status: " + String(cString: curl_easy_strerror(code)))
        }
    }

    /// "libcurl refused CURLOPT_URL: A libcurl function was given a bad argument".
    private static func refusal(_ option: CURLoption, _ code: CURLcode) -> String {
        "libcurl refused \(name(option)): " + String(cString: curl_easy_strerror(code))
    }

    private static func name(_ option: CURLoption) -> String {
        guard let name = curl_easy_option_by_id(option)?.pointee.name else { return "option \(option.rawValue)" }
        return "CURLOPT_" + String(cString: name)
    }

    private func error(for code: CURLcode, sink: ResponseSink, url: String) -> HTTPError {
        let message = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: HTTPError.Kind
        var detail = message
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_WRITE_ERROR where sink.exceededLimit:
            kind = .tooLarge
            detail = "more than \(limits.maxResponseBytes) bytes"
        case CURLE_ABORTED_BY_CALLBACK where sink.wentIdle:
            kind = .timeout
            detail = "nothing received for \(limits.idleTimeout ?? 0) s (the idle timeout)"
        case CURLE_ABORTED_BY_CALLBACK: kind = .aborted
        default: kind = .transport
        }
        // The headers that arrived before the failure: they can name what was started (and billed).
        var error = HTTPError(kind: kind, url: url, detail: detail, headers: sink.headers)
        error.answerBegan = sink.answerBegan
        return error
    }
}

// A connection wraps a `CURL *`, which libcurl lets only one thread use at a time: the
// compiler refuses to send one across threads (as corelibs does for its EasyHandle).
@available(*, unavailable)
extension HTTPConnection: Sendable {}

/// Owns one `curl_slist` of request headers; freed in `deinit`, after the transfer.
private final class CurlHeaderList {
    package private(set) var list: UnsafeMutablePointer<curl_slist>?

    package init(_ headers: [(name: String, value: String)]) {
        for (name, value) in headers {
            // "Name:" with nothing after it tells libcurl to send no such header at all.
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
    }

    deinit { curl_slist_free_all(list) }
}

/// Collects one response from libcurl's callbacks; reached through an `Unmanaged` pointer.
private final class ResponseSink {
    package let maxBytes: Int
    package let abortSignal: AbortSignal?
    package var headers: [(name: String, value: String)] = []
    package let body: ByteArray
    package var exceededLimit = false
    /// Seconds without a byte either way after which the transfer is abandoned (nil: never).
    private let idleLimit: Double?
    private var lastActivity = MonotonicClock.now()
    private var lastBytes: (received: curl_off_t, sent: curl_off_t) = (0, 0)
    /// The transfer was abandoned for silence (`idleLimit`).
    package private(set) var wentIdle = false
    /// Where a 2xx body goes instead of `body`, piece by piece (no size limit: it is not kept).
    package var stream: ((UnsafeRawBufferPointer) -> Bool)?
    /// The status of the response being received (from its status line).
    private var status = 0
    /// A 2xx answer's body had begun: bytes other than the whitespace a server sends to keep
    /// a waiting connection open (OpenRouter's newlines while a chat generation runs).
    package private(set) var answerBegan = false

    package init(maxBytes: Int, abortSignal: AbortSignal?, body: ByteArray, idleLimit: Double?) {
        self.maxBytes = maxBytes
        self.abortSignal = abortSignal
        self.body = body
        self.idleLimit = idleLimit
    }

    /// From libcurl's progress callback: abort when the run says so, or when nothing has
    /// moved for `idleLimit` seconds (waiting for the first byte included, which libcurl's
    /// own low-speed check does not cover).
    package func shouldAbort(received: curl_off_t, sent: curl_off_t) -> Bool {
        if abortSignal?.isAborted == true { return true }
        guard let idleLimit else { return false }
        let now = MonotonicClock.now()
        if (received, sent) != lastBytes {
            lastBytes = (received, sent)
            lastActivity = now
            return false
        }
        wentIdle = now - lastActivity > idleLimit
        return wentIdle
    }

    package func receiveBody(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        if !answerBegan, (200..<300).contains(status) {
            answerBegan = UnsafeRawBufferPointer(start: data, count: length).contains { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        }
        if let stream, (200..<300).contains(status) {
            return stream(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }
        guard body.count + length <= maxBytes else {
            exceededLimit = true
            return 0
        }
        body.append(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    package func receiveHeader(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response (after 100 Continue or a redirect) starts over
            let fields = line.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            return length
        }
        guard let colon = line.firstIndex(of: ":") else { return length }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        headers.append((name, value))
        if name == "content-length", let expected = Int(value), expected > 0, stream == nil || !(200..<300).contains(status) {
            guard expected <= maxBytes else {
                exceededLimit = true
                return 0
            }
            body.reserve(expected)
        }
        return length
    }
}

/// A request body as libcurl's read callback hands it out: front to back, once. There is no
/// way back (no seek callback), which is the point: see `CURLOPT_READFUNCTION` in
/// `HTTPConnection.init`. Used by the one thread performing the transfer.
private final class UploadBody {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Copies the next at most `capacity` bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0, let base = bytes.baseAddress else { return 0 }
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + offset, byteCount: count)
        offset += count
        return count
    }
}
