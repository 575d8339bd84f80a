import CJansson
import Glibc
import HTTP

/// Process-wide set-up that must happen once, before any worker runs.
public enum MediaBatchRuntime {
    /// Initialises libcurl, seeds jansson's hash function, and ignores SIGPIPE (libcurl runs
    /// with CURLOPT_NOSIGNAL, which leaves SIGPIPE to the application).
    public static func start() {
        signal(SIGPIPE, SIG_IGN)
        json_object_seed(0)
        CurlGlobal.ensureInitialised()
    }
}
