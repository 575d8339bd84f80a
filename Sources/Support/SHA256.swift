import CCrypto

/// SHA-256 through OpenSSL's EVP (hardware SHA where the CPU has it), for the journal's
/// record of every file written and for task keys.
public enum SHA256 {
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { out in
            EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return hexString(digest)
    }

    public static func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex($0) } }

    /// The digest of several pieces taken as one.
    public static func hex(_ pieces: [UnsafeRawBufferPointer]) -> String {
        if pieces.count == 1 { return hex(pieces[0]) }
        let context = DigestContext()
        for piece in pieces { context.update(piece) }
        return hexString(context.finish())
    }
    public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

    package static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A SHA-256 computed piece by piece, for a file streamed to disk (a downloaded video) that
/// is never whole in memory.
public final class SHA256Stream {
    private let context = DigestContext()
    private var finished: String?

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(finished == nil, "no update after the digest is taken")
        context.update(bytes)
    }

    /// The digest of everything given so far, as hex; later calls return the same.
    public func hex() -> String {
        if let finished { return finished }
        let digest = SHA256.hexString(context.finish())
        finished = digest
        return digest
    }
}

/// Owns one OpenSSL `EVP_MD_CTX` for an incremental SHA-256; freed only in `deinit`.
private final class DigestContext {
    private let context: OpaquePointer

    package init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
        self.context = context
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    package func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) } == 1 && length == 32)
        return digest
    }
}
