import CCurl

/// libcurl's process-wide state, initialised by the HTTP module itself: exactly once, before
/// the first handle, whoever asks first (like swift-corelibs-foundation's lazy global).
package enum CurlGlobal {
    /// `curl_global_init`'s answer. A `static let` is initialised exactly once, thread-safely,
    /// on first use, so concurrent first connections still call it once.
    private static let status: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Initialises libcurl on the first call; throws (every time) if that failed.
    package static func ensureInitialised() throws(HTTPError) {
        try check(status)
    }

    /// The error for a failed `curl_global_init` status, naming libcurl's reason.
    package static func check(_ status: CURLcode) throws(HTTPError) {
        guard status == CURLE_OK else {
            throw HTTPError(kind: .setup, url: "", detail: "curl_global_init failed: " + String(cString: curl_easy_strerror(status)))
        }
    }
}
