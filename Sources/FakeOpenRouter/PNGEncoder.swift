import CZlib
import Foundation

/// Real, valid PNG files (signature, IHDR, zlib IDAT, IEND, correct CRCs), RGB 8-bit: the
/// prompt-seeded pattern at an exact pixel size, and the incompressible bench-mode image.
enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The pattern, scanlines filtered with "Up" (type 2): because every pixel is a column
    /// term plus a row term, each filtered row after the first is one repeated RGB triple,
    /// which deflate compresses to almost nothing and which costs a memset-like fill.
    static func pattern(_ pattern: ImagePattern) -> [UInt8] {
        let width = pattern.width
        let height = pattern.height
        let rowBytes = 1 + 3 * width
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        raw.withUnsafeMutableBufferPointer { out in
            // Row 0: filter None, the real pixels.
            out[0] = 0
            for x in 0..<width {
                for channel in 0..<3 {
                    out[1 + 3 * x + channel] = UInt8(pattern.value(channel: channel, x: x, y: 0))
                }
            }
            for y in stride(from: 1, to: height, by: 1) {
                let base = y * rowBytes
                out[base] = 2
                for channel in 0..<3 {
                    let delta = Int(pattern.rows[channel][y]) - Int(pattern.rows[channel][y - 1])
                    out[base + 1 + channel] = UInt8(truncatingIfNeeded: delta)
                }
                // Double the filled prefix until the row is full.
                var filled = 3
                let total = 3 * width
                while filled < total {
                    let chunk = min(filled, total - filled)
                    let start = out.baseAddress! + base + 1
                    (start + filled).update(from: start, count: chunk)
                    filled += chunk
                }
            }
        }
        return assemble(width: width, height: height, raw: raw, level: 1)
    }

    /// An incompressible PNG of about `targetBytes` bytes: random pixels, stored deflate
    /// blocks (level 0), so the file is essentially the raw scanlines plus small headers.
    static func incompressible(targetBytes: Int, seed: UInt64) -> [UInt8] {
        let target = max(targetBytes, 100)
        // File size = framing + zlib header/trailer + raw scanlines + 5 bytes per stored block.
        func estimate(_ width: Int, _ height: Int) -> Int {
            let raw = (1 + 3 * width) * height
            return 8 + 25 + 12 + 12 + 6 + raw + 5 * ((raw + 65534) / 65535)
        }
        // Try widths around the square root and keep the (width, height) closest to the target.
        let guess = min(max(Int(Double(target / 3).squareRoot()), 1), 4096)
        var (width, height) = (guess, 1)
        var bestError = Int.max
        for candidate in max(1, guess / 2)...min(4096, guess * 2) {
            let rowBytes = 1 + 3 * candidate
            let rows = max(1, (target - 63) / rowBytes)
            for h in [rows, rows + 1] {
                let error = abs(estimate(candidate, h) - target)
                if error < bestError { (width, height, bestError) = (candidate, h, error) }
            }
        }
        let rowBytes = 1 + 3 * width
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        var rng = SplitMix64(seed: seed)
        raw.withUnsafeMutableBytes { bytes in
            let words = bytes.count / 8
            let pointer = bytes.baseAddress!
            for index in 0..<words {
                pointer.storeBytes(of: rng.next(), toByteOffset: index * 8, as: UInt64.self)
            }
            for index in (words * 8)..<bytes.count {
                bytes[index] = UInt8(truncatingIfNeeded: rng.next())
            }
            for y in 0..<height { bytes[y * rowBytes] = 0 }  // filter type None
        }
        return assemble(width: width, height: height, raw: raw, level: 0)
    }

    /// Signature, IHDR (RGB 8-bit), one IDAT with the zlib stream, IEND.
    static func assemble(width: Int, height: Int, raw: [UInt8], level: Int32) -> [UInt8] {
        var ihdr = [UInt8]()
        appendUInt32(&ihdr, UInt32(width))
        appendUInt32(&ihdr, UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, colour type RGB, deflate, filter 0, no interlace
        let compressed = deflateZlib(raw, level: level)
        var out = signature
        out.reserveCapacity(compressed.count + 64)
        appendChunk(&out, type: "IHDR", data: ihdr)
        appendChunk(&out, type: "IDAT", data: compressed)
        appendChunk(&out, type: "IEND", data: [])
        return out
    }

    static func deflateZlib(_ raw: [UInt8], level: Int32) -> [UInt8] {
        var destinationLength = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(destinationLength))
        let status = out.withUnsafeMutableBufferPointer { dst in
            raw.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &destinationLength, src.baseAddress, uLong(src.count), level)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        out.removeSubrange(Int(destinationLength)...)
        return out
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }

    private static func appendChunk(_ out: inout [UInt8], type: String, data: [UInt8]) {
        appendUInt32(&out, UInt32(data.count))
        let typeBytes = Array(type.utf8)
        var checksum = crc32(0, typeBytes, uInt(typeBytes.count))
        data.withUnsafeBufferPointer { buffer in
            checksum = crc32(checksum, buffer.baseAddress, uInt(buffer.count))
        }
        out += typeBytes
        out += data
        appendUInt32(&out, UInt32(checksum))
    }

    static func appendUInt32(_ out: inout [UInt8], _ value: UInt32) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// Images for tests that need real files of a given size (a reference image over
/// OpenRouter's limits, say), made the way the fake makes its own.
public enum SampleImages {
    /// A valid RGB PNG of about `bytes` bytes that does not compress: random pixels.
    public static func incompressiblePNG(bytes: Int, seed: UInt64 = 1) -> [UInt8] {
        PNGEncoder.incompressible(targetBytes: bytes, seed: seed)
    }
}
