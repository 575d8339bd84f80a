import Glibc
import Support

/// Reads a `Retry-After` header: delay seconds (fractions accepted, as some proxies send
/// them) or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`). libcurl's own parser drops
/// fractions, which would let a client come back early.
package enum RetryAfter {
    package static func seconds(from value: String, now: time_t = time(nil)) -> Double? {
        let text = value.trimmingWhitespace()
        if let seconds = Double(text), seconds.isFinite { return max(seconds, 0) }
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, fields[5] == "GMT", let day = Int32(fields[1]), let month = months.firstIndex(of: String(fields[2])),
            let year = Int32(fields[3])
        else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        return max(Double(timegm(&parts) - now), 0)
    }
}
