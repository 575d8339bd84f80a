import CCurl

/// libcurl's process-wide state: initialised exactly once, before any handle exists.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func ensureInitialised() {
        precondition(initialised, "curl_global_init failed")
    }
}
