import CCurl

/// libcurl's process-wide state: initialised exactly once, before any handle exists.
package enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    package static func ensureInitialised() {
        precondition(initialised, "curl_global_init failed")
    }
}
