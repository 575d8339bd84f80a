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
/// Not `Sendable`: a connection belongs to one worker at a time.
public final class HTTPConnection {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let limits: HTTPLimits
    private let abortSignal: AbortSignal?
    private let trace: HTTPTrace?

    public init(limits: HTTPLimits = HTTPLimits(), abortSignal: AbortSignal? = nil, trace: HTTPTrace? = nil) {
        CurlGlobal.ensureInitialised()
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        self.handle = handle
        self.limits = limits
        self.abortSignal = abortSignal
        self.trace = trace
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        configureOnce()
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func configureOnce() {
        mb_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        mb_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        mb_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        mb_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        // Image bodies are megabytes: read them in large gulps, not 16 KiB syscalls.
        mb_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 << 10)
        mb_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        mb_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(limits.totalTimeout * 1000))
        mb_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond)
        mb_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds)
        mb_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        mb_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().receiveBody(data, size * count)
        })
        mb_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().receiveHeader(data, size * count)
        })
        mb_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        mb_curl_setopt_xferinfo_cb(handle, { context, _, _, _, _ in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().shouldAbort ? 1 : 0
        })
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

    private func transfer(_ request: HTTPRequest, into body: ByteArray) throws(HTTPError) -> HTTPResponseHead {
        body.removeAll()
        let sink = ResponseSink(maxBytes: limits.maxResponseBytes, abortSignal: abortSignal, body: body)
        let headerList = CurlHeaderList(request.headers + [("Expect", "")])
        errorBuffer[0] = 0

        let context = Unmanaged.passUnretained(sink).toOpaque()
        mb_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        mb_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
        mb_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context)
        mb_curl_setopt_str(handle, CURLOPT_URL, request.url)
        mb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList.list)

        let code: CURLcode = request.body.withUnsafeBytes { body in
            switch request.method {
            case .get:
                mb_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            case .post:
                mb_curl_setopt_long(handle, CURLOPT_POST, 1)
                // Size first: with POSTFIELDS libcurl does not copy, and `body` outlives the transfer.
                mb_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                mb_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(errorBuffer))
            }
            return curl_easy_perform(handle)
        }
        withExtendedLifetime(headerList) {}
        mb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)
        mb_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, nil)

        guard code == CURLE_OK else { throw error(for: code, sink: sink, url: request.url) }
        var status = 0
        mb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponseHead(status: status, headers: sink.headers)
    }

    private func error(for code: CURLcode, sink: ResponseSink, url: String) -> HTTPError {
        let message = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPError(kind: .connect, url: url, detail: message)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPError(kind: .timeout, url: url, detail: message)
        case CURLE_WRITE_ERROR where sink.exceededLimit:
            return HTTPError(kind: .tooLarge, url: url, detail: "more than \(limits.maxResponseBytes) bytes")
        case CURLE_ABORTED_BY_CALLBACK:
            return HTTPError(kind: .aborted, url: url, detail: message)
        default:
            return HTTPError(kind: .transport, url: url, detail: message)
        }
    }
}

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

    package init(maxBytes: Int, abortSignal: AbortSignal?, body: ByteArray) {
        self.maxBytes = maxBytes
        self.abortSignal = abortSignal
        self.body = body
    }

    package var shouldAbort: Bool { abortSignal?.isAborted ?? false }

    package func receiveBody(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
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
            return length
        }
        guard let colon = line.firstIndex(of: ":") else { return length }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        headers.append((name, value))
        if name == "content-length", let expected = Int(value), expected > 0 {
            guard expected <= maxBytes else {
                exceededLimit = true
                return 0
            }
            body.reserve(expected)
        }
        return length
    }
}
