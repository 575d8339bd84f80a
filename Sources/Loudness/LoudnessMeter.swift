import CEbur128

/// One libebur128 meter (`ebur128_state *`) for integrated loudness and sample peak (or, made
/// with a window, for the ungated loudness of one short stretch of sound), destroyed in `deinit`, the only place that frees it. Not `Sendable` (its conformance is
/// unavailable): a meter is used on the thread that made it.
public final class LoudnessMeter {
    private var state: UnsafeMutablePointer<ebur128_state>?

    public convenience init(channels: Int, sampleRate: Int) throws(LoudnessError) {
        try self.init(channels: channels, sampleRate: sampleRate, mode: EBUR128_MODE_I.rawValue | EBUR128_MODE_SAMPLE_PEAK.rawValue)
    }

    /// A meter for `windowLoudness(milliseconds:)` over the last `windowMilliseconds` of what
    /// is added (momentary mode, no gates): the loudness of a stretch shorter than the 400 ms
    /// an integrated measurement needs.
    public convenience init(channels: Int, sampleRate: Int, windowMilliseconds: Int) throws(LoudnessError) {
        try self.init(channels: channels, sampleRate: sampleRate, mode: EBUR128_MODE_M.rawValue | EBUR128_MODE_SAMPLE_PEAK.rawValue)
        let status = ebur128_set_max_window(state, UInt(max(windowMilliseconds, 1)))
        guard status == Int32(EBUR128_SUCCESS.rawValue) || status == Int32(EBUR128_ERROR_NO_CHANGE.rawValue) else {
            throw LoudnessError("libebur128 cannot measure a window of \(windowMilliseconds) ms (error \(status))")
        }
    }

    private init(channels: Int, sampleRate: Int, mode: UInt32) throws(LoudnessError) {
        guard channels > 0, sampleRate > 0, let state = ebur128_init(UInt32(channels), UInt(sampleRate), Int32(mode)) else {
            throw LoudnessError("libebur128 cannot measure \(channels) channel(s) at \(sampleRate) Hz")
        }
        self.state = state
    }

    // A meter whose init threw has no state: nothing to free then.
    deinit { if state != nil { ebur128_destroy(&state) } }

    /// Adds interleaved float samples.
    public func add(_ samples: [Float], channels: Int) throws(LoudnessError) {
        let status = samples.withUnsafeBufferPointer { ebur128_add_frames_float(state, $0.baseAddress, $0.count / channels) }
        guard status == Int32(EBUR128_SUCCESS.rawValue) else { throw LoudnessError("libebur128 refused the samples (error \(status))") }
    }

    /// Integrated loudness in LUFS (gated, EBU R128), or nil when nothing passes the gates
    /// (silence, or less than one 400 ms block of sound).
    public var integrated: Double? {
        var value = 0.0
        guard ebur128_loudness_global(state, &value) == Int32(EBUR128_SUCCESS.rawValue), value.isFinite else { return nil }
        return value
    }

    /// Ungated loudness in LUFS of the last `milliseconds` added (at most the window the meter
    /// was made with), or nil when that stretch is silent.
    public func windowLoudness(milliseconds: Int) -> Double? {
        var value = 0.0
        guard ebur128_loudness_window(state, UInt(milliseconds), &value) == Int32(EBUR128_SUCCESS.rawValue), value.isFinite else { return nil }
        return value
    }

    /// The largest absolute sample value over all channels (1.0 is full scale).
    public var samplePeak: Double {
        var peak = 0.0
        for channel in 0..<Int(state?.pointee.channels ?? 0) {
            var value = 0.0
            if ebur128_sample_peak(state, UInt32(channel), &value) == Int32(EBUR128_SUCCESS.rawValue) { peak = max(peak, value) }
        }
        return peak
    }
}

@available(*, unavailable)
extension LoudnessMeter: Sendable {}
