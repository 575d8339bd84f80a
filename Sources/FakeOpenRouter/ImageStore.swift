/// Encoded images with their base64 text, cached by (width, height, seed, format), so that a
/// repeated prompt costs a dictionary lookup; in bench mode one incompressible PNG is encoded
/// once at start and every response reuses its bytes.
final class ImageStore: Sendable {
    enum Format: Hashable, Sendable {
        case png
        case jpeg

        var mediaType: String { self == .png ? "image/png" : "image/jpeg" }
    }

    /// One image, ready to splice into a JSON string.
    struct Encoded: Sendable {
        let bytes: [UInt8]
        /// Base64, with `/` escaped as `\/` when the server escapes slashes.
        let base64: [UInt8]
        let format: Format
        let width: Int
        let height: Int
    }

    private struct Key: Hashable {
        let width: Int
        let height: Int
        let seed: UInt64
        let format: Format
    }

    private struct Cache {
        var entries: [Key: Encoded] = [:]
        var order: [Key] = []
        var bytes = 0
    }

    private static let maximumEntries = 512
    private static let maximumBytes = 256 << 20

    let escapeSlashes: Bool
    /// The bench-mode image, when `FakeConfiguration.imageBytes` is set.
    let bench: Encoded?
    private let cache = Locked(Cache())

    init(escapeSlashes: Bool, benchBytes: Int?) {
        self.escapeSlashes = escapeSlashes
        if let benchBytes {
            let png = PNGEncoder.incompressible(targetBytes: benchBytes, seed: 0x5EED_BE9C)
            bench = ImageStore.wrap(png, format: .png, width: 0, height: 0, escapeSlashes: escapeSlashes)
        } else {
            bench = nil
        }
    }

    /// The bench image if in bench mode, else the prompt-seeded pattern at exactly this size.
    func image(width: Int, height: Int, seed: UInt64, format: Format) -> Encoded {
        if let bench { return bench }
        let key = Key(width: width, height: height, seed: seed, format: format)
        if let hit = cache.withLock({ $0.entries[key] }) { return hit }
        let pattern = ImagePattern(width: width, height: height, seed: seed)
        let bytes = format == .png ? PNGEncoder.pattern(pattern) : JPEGEncoder.encode(pattern)
        let encoded = ImageStore.wrap(bytes, format: format, width: width, height: height, escapeSlashes: escapeSlashes)
        cache.withLock { cache in
            guard cache.entries[key] == nil else { return }
            cache.entries[key] = encoded
            cache.order.append(key)
            cache.bytes += encoded.bytes.count + encoded.base64.count
            while cache.order.count > ImageStore.maximumEntries || cache.bytes > ImageStore.maximumBytes,
                cache.order.count > 1
            {
                let evicted = cache.order.removeFirst()
                if let old = cache.entries.removeValue(forKey: evicted) {
                    cache.bytes -= old.bytes.count + old.base64.count
                }
            }
        }
        return encoded
    }

    private static func wrap(_ bytes: [UInt8], format: Format, width: Int, height: Int, escapeSlashes: Bool) -> Encoded {
        let plain = Base64.encode(bytes)
        return Encoded(
            bytes: bytes, base64: escapeSlashes ? Base64.escapingSlashes(plain) : plain,
            format: format, width: width, height: height)
    }
}
