import Glibc

/// Why a reference image could not be shrunk to fit: the file and the reason, for the task's
/// failure message.
public struct DownscaleError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "cannot downscale \(path) to fit OpenRouter's limits: \(reason)" }
}

/// Shrinks a reference image that is over OpenRouter's size limits, for the tasks that opt in
/// (`downscaleInputs`): scaled with libvips, keeping its aspect ratio, until its encoding fits
/// `maxBytes`. Images with an alpha channel stay PNG (transparency kept); others become JPEG.
public enum ImageDownscaler {
    /// An image as it will be sent.
    public struct Scaled: Sendable {
        public let bytes: [UInt8]
        /// `image/jpeg` or `image/png`.
        public let mimeType: String
        public let width: Int
        public let height: Int
    }

    /// JPEG quality of a shrunk photo: near the original to the eye, a fraction of its bytes.
    static let jpegQuality: Int32 = 88

    /// The image `bytes` (the file `path`, named in errors) encoded within `maxBytes`:
    /// re-encoded at full size first when that can be enough (a PNG photo as JPEG), then
    /// scaled down, each try sized from the last one's bytes, at most eight tries.
    public static func fit(_ bytes: [UInt8], path: String, maxBytes: Int) throws(DownscaleError) -> Scaled {
        if let failure = VipsImage.unavailable { throw DownscaleError(path: path, reason: failure) }
        // libvips reads the pixels from `bytes` while it works: they stay put until it is done.
        return try bytes.withUnsafeBytes { raw in
            Result { () throws(DownscaleError) in try fit(raw, path: path, maxBytes: maxBytes) }
        }.get()
    }

    private static func fit(_ raw: UnsafeRawBufferPointer, path: String, maxBytes: Int) throws(DownscaleError) -> Scaled {
        guard let base = raw.baseAddress, let source = VipsImage(reading: base, count: raw.count) else {
            throw DownscaleError(path: path, reason: "libvips cannot read it as an image")
        }
        let alpha = source.hasAlpha
        let isJPEG = raw.count > 2 && raw[0] == 0xFF && raw[1] == 0xD8
        // Bytes grow with the area: the scale that would shrink the file to ~90% of the limit.
        var scale = (alpha || isJPEG) ? min(1, (0.9 * Double(maxBytes) / Double(max(raw.count, 1))).squareRoot()) : 1
        for _ in 0..<8 {
            guard let scaled = scale < 1 ? VipsImage(resizing: source, scale: scale) : source else {
                throw DownscaleError(path: path, reason: "libvips could not resize it")
            }
            guard let bytes = alpha ? scaled.png() : scaled.jpeg(quality: jpegQuality) else {
                throw DownscaleError(path: path, reason: "libvips could not encode it as \(alpha ? "PNG" : "JPEG")")
            }
            if bytes.count <= maxBytes {
                return Scaled(bytes: bytes, mimeType: alpha ? "image/png" : "image/jpeg", width: scaled.width, height: scaled.height)
            }
            scale *= min(0.9, (0.9 * Double(maxBytes) / Double(bytes.count)).squareRoot())
        }
        throw DownscaleError(path: path, reason: "still over \(maxBytes) bytes after eight tries")
    }
}
