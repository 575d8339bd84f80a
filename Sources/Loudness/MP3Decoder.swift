import CMpg123

/// Audio decoded for measurement: interleaved 32-bit float samples (full scale ±1).
public struct DecodedAudio: Sendable {
    public let samples: [Float]
    public let sampleRate: Int
    public let channels: Int
}

/// Why audio could not be decoded or measured.
public struct LoudnessError: Error, Equatable, CustomStringConvertible {
    public let description: String

    package init(_ description: String) { self.description = description }
}

/// One libmpg123 decoder (`mpg123_handle *`), made for one mp3 and deleted in `deinit`, the
/// only place that frees it. Not `Sendable` (its conformance is unavailable): a decoder is
/// used on the thread that made it.
public final class MP3Decoder {
    private let handle: OpaquePointer

    private init() throws(LoudnessError) {
        guard let handle = mb_mpg123_new_float() else { throw LoudnessError("libmpg123 could not make a decoder") }
        self.handle = handle
        guard mpg123_open_feed(handle) == MPG123_OK.rawValue else {
            throw LoudnessError("libmpg123 could not open a feed: \(Self.message(handle))")
        }
    }

    deinit { mpg123_delete(handle) }

    /// Decodes a whole mp3 (tags and a Xing/Info frame are skipped by the decoder) to float
    /// samples. Throws when the bytes hold no decodable audio, or their format changes midway.
    public static func decode(_ mp3: [UInt8]) throws(LoudnessError) -> DecodedAudio {
        try MP3Decoder().decodeAll(mp3)
    }

    private func decodeAll(_ mp3: [UInt8]) throws(LoudnessError) -> DecodedAudio {
        let fed = mp3.withUnsafeBufferPointer { mpg123_feed(handle, $0.baseAddress, $0.count) }
        guard fed == MPG123_OK.rawValue else { throw LoudnessError("libmpg123 refused the mp3: \(Self.message(handle))") }
        var samples: [Float] = []
        samples.reserveCapacity(mp3.count * 8)
        var rate = 0
        var channels = 0
        var chunk = [Float](repeating: 0, count: 16_384)
        while true {
            var done = 0
            let status = chunk.withUnsafeMutableBytes { raw in
                mpg123_read(handle, raw.baseAddress, raw.count, &done)
            }
            if done > 0 { samples += chunk[0..<(done / MemoryLayout<Float>.size)] }
            if status == MPG123_NEW_FORMAT.rawValue {
                var newRate = 0
                var newChannels: Int32 = 0
                var encoding: Int32 = 0
                mpg123_getformat(handle, &newRate, &newChannels, &encoding)
                if rate != 0, newRate != rate || Int(newChannels) != channels {
                    throw LoudnessError("the mp3 changes format midway (\(rate) Hz \(channels) ch, then \(newRate) Hz \(newChannels) ch)")
                }
                guard encoding == MPG123_ENC_FLOAT_32.rawValue else {
                    throw LoudnessError("libmpg123 would not decode to 32-bit float")
                }
                rate = newRate
                channels = Int(newChannels)
            } else if status == MPG123_NEED_MORE.rawValue || status == MPG123_DONE.rawValue {
                break
            } else if status != MPG123_OK.rawValue {
                throw LoudnessError("libmpg123 could not decode the mp3: \(Self.message(handle))")
            }
        }
        guard rate > 0, channels > 0, !samples.isEmpty else { throw LoudnessError("the mp3 holds no decodable audio") }
        return DecodedAudio(samples: samples, sampleRate: rate, channels: channels)
    }

    private static func message(_ handle: OpaquePointer) -> String {
        mpg123_strerror(handle).map { String(cString: $0) } ?? "unknown error"
    }
}

@available(*, unavailable)
extension MP3Decoder: Sendable {}
