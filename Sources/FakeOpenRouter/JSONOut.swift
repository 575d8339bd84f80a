import NIOCore

/// A JSON value the fake writes by hand: keys keep their order (as OpenRouter's do), slashes
/// are escaped or not as configured, and big pre-encoded strings (base64 images) are spliced
/// in as bytes instead of going through a serializer.
enum JSONOut: Sendable {
    case object([(String, JSONOut)])
    case array([JSONOut])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    /// A string whose content is `prefix` (escaped normally) followed by `body`, which is
    /// already valid JSON string content (e.g. base64, escaped or not), copied verbatim.
    case preescaped(prefix: String, body: [UInt8])

    /// Writes the value into one buffer sized up front, so big bodies are copied once.
    func buffer(escapeSlashes: Bool) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: splicedBytes + 1024)
        write(into: &buffer, escapeSlashes: escapeSlashes)
        return buffer
    }

    /// The value as a `String` (small documents only: stats, tests).
    func text(escapeSlashes: Bool) -> String {
        let buffer = self.buffer(escapeSlashes: escapeSlashes)
        return buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
    }

    private var splicedBytes: Int {
        switch self {
        case .object(let members): return members.reduce(0) { $0 + $1.1.splicedBytes }
        case .array(let items): return items.reduce(0) { $0 + $1.splicedBytes }
        case .preescaped(_, let body): return body.count
        default: return 0
        }
    }

    func write(into buffer: inout ByteBuffer, escapeSlashes: Bool) {
        switch self {
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                JSONOut.writeString(member.0, into: &buffer, escapeSlashes: escapeSlashes)
                buffer.writeInteger(UInt8(ascii: ":"))
                member.1.write(into: &buffer, escapeSlashes: escapeSlashes)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        case .array(let items):
            buffer.writeInteger(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                item.write(into: &buffer, escapeSlashes: escapeSlashes)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .string(let value):
            JSONOut.writeString(value, into: &buffer, escapeSlashes: escapeSlashes)
        case .int(let value):
            buffer.writeString(String(value))
        case .double(let value):
            buffer.writeString(JSONOut.format(value))
        case .bool(let value):
            buffer.writeString(value ? "true" : "false")
        case .null:
            buffer.writeString("null")
        case .preescaped(let prefix, let body):
            buffer.writeInteger(UInt8(ascii: "\""))
            JSONOut.writeStringContent(prefix, into: &buffer, escapeSlashes: escapeSlashes)
            buffer.writeBytes(body)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
    }

    /// Shortest round-trip decimal, written without an exponent down to 1e-7 (as JavaScript's
    /// JSON.stringify does, so costs read "0.000015", not "1.5e-05"); non-finite becomes null.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) + ".0" }
        let text = String(value)
        guard abs(value) >= 1e-7, let e = text.firstIndex(of: "e"), let exponent = Int(text[text.index(after: e)...]),
            exponent < 0
        else { return text }
        let negative = text.hasPrefix("-")
        let digits = text[..<e].filter { $0.isNumber }  // mantissa d.ddd has one digit before the point
        return (negative ? "-" : "") + "0." + String(repeating: "0", count: -exponent - 1) + digits
    }

    static func writeString(_ value: String, into buffer: inout ByteBuffer, escapeSlashes: Bool) {
        buffer.writeInteger(UInt8(ascii: "\""))
        writeStringContent(value, into: &buffer, escapeSlashes: escapeSlashes)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    static func writeStringContent(_ value: String, into buffer: inout ByteBuffer, escapeSlashes: Bool) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeString("\\\\")
            case UInt8(ascii: "/") where escapeSlashes: buffer.writeString("\\/")
            case 0x0A: buffer.writeString("\\n")
            case 0x0D: buffer.writeString("\\r")
            case 0x09: buffer.writeString("\\t")
            case 0..<0x20:
                buffer.writeString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
    }
}
