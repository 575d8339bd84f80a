import Foundation

/// A pleasant, prompt-seeded picture that is cheap to compute at any size: every pixel is a
/// column term plus a row term per channel (soft diagonal gradients with gentle waves), so
/// the PNG and JPEG encoders can work row by row or block by block without per-pixel math.
struct ImagePattern: Sendable {
    let width: Int
    let height: Int
    /// Per channel (R, G, B): values 0...127 indexed by x.
    let columns: [[UInt8]]
    /// Per channel (R, G, B): values 0...128 indexed by y.
    let rows: [[UInt8]]

    init(width: Int, height: Int, seed: UInt64) {
        self.width = width
        self.height = height
        var rng = SplitMix64(seed: seed)
        var columns: [[UInt8]] = []
        var rows: [[UInt8]] = []
        for _ in 0..<3 {
            columns.append(ImagePattern.wave(count: width, maximum: 127, rng: &rng))
            rows.append(ImagePattern.wave(count: height, maximum: 128, rng: &rng))
        }
        self.columns = columns
        self.rows = rows
    }

    /// A linear ramp between two random levels plus a soft sine, clamped to 0...maximum.
    private static func wave(count: Int, maximum: Double, rng: inout SplitMix64) -> [UInt8] {
        let start = rng.nextDouble() * maximum
        let end = rng.nextDouble() * maximum
        let amplitude = 8 + rng.nextDouble() * 24
        let cycles = 0.5 + rng.nextDouble() * 3
        let phase = rng.nextDouble() * 2 * Double.pi
        let span = Double(max(count - 1, 1))
        var out = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            let t = Double(index) / span
            let value = start + (end - start) * t + amplitude * sin(2 * Double.pi * cycles * t + phase)
            out[index] = UInt8(min(max(value.rounded(), 0), maximum))
        }
        return out
    }

    /// The pixel's channel value (0...255).
    @inline(__always)
    func value(channel: Int, x: Int, y: Int) -> Int {
        Int(columns[channel][x]) + Int(rows[channel][y])
    }
}

/// A small, fast, seedable PRNG (SplitMix64): the fake's randomness must be reproducible.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// FNV-1a, 64 bit: seeds images from prompts and identifies requests for fault decisions.
enum FNV1a {
    static func hash<S: Sequence>(_ bytes: S, into start: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64
    where S.Element == UInt8 {
        var hash = start
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func hash(_ bytes: [UInt8], into start: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            var hash = start
            for byte in buffer {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            return hash
        }
    }
}
