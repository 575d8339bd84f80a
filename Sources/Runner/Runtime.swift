import CJansson
import Glibc
import HTTP

/// Process-wide set-up that must happen once, before any worker runs.
public enum MediaBatchRuntime {
    /// Initialises libcurl, seeds jansson's hash function, and ignores SIGPIPE (libcurl runs
    /// with CURLOPT_NOSIGNAL, which leaves SIGPIPE to the application).
    ///
    /// libcurl's initialisation is only done early here: the HTTP module does it itself,
    /// once, before its first handle, and every `HTTPConnection` reports a failure of it as
    /// an `HTTPError`, so it is not reported twice here.
    public static func start() {
        signal(SIGPIPE, SIG_IGN)
        json_object_seed(0)
        try? CurlGlobal.ensureInitialised()
    }
}
