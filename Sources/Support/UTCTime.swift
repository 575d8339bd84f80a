import Glibc

/// Wall-clock time as journals and reports write it.
public enum UTCTime {
    /// UTC time as `2026-11-24T19:54:54Z`.
    public static func now() -> String { format(epochSeconds: Double(time(nil))) }

    /// A time given in seconds since the epoch, written like `now()`.
    public static func format(epochSeconds: Double) -> String {
        var now = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Seconds since the epoch, with fractions (for resets OpenRouter gives as epoch times).
    public static func epochSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
