import CJansson

/// Owns exactly one jansson reference (`json_t *`) and releases it in `deinit`: the only
/// place in mediabatch that calls `json_decref`. Not `Sendable`: a tree stays on the worker
/// that made it.
package final class JanssonTree {
    package let root: UnsafeMutablePointer<json_t>

    /// Takes over an owned (`*_new`, `json_load*`) reference.
    package init(owning root: UnsafeMutablePointer<json_t>) { self.root = root }

    deinit { json_decref(root) }

    /// Parses `bytes` as one JSON document. Duplicate keys are an error, so a manifest that
    /// says the same thing twice is caught instead of one value silently winning.
    package static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws(JSONParseError) -> JanssonTree {
        var error = json_error_t()
        let flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL
        let empty: CChar = 0
        let root = withUnsafePointer(to: empty) { emptyPointer in
            json_loadb(bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? emptyPointer, bytes.count, Int(flags), &error)
        }
        guard let root else {
            throw JSONParseError(
                source: source, line: Int(error.line), column: Int(error.column),
                message: withUnsafeBytes(of: &error.text) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) })
        }
        return JanssonTree(owning: root)
    }

    /// Builds a jansson tree from a Swift value (for request bodies). A non-finite double
    /// becomes `null` (see `JSONEncoding.encode`).
    package convenience init(_ value: JSON) {
        self.init(owning: JanssonTree.make(value))
    }

    /// The Swift form of the whole tree.
    package func toJSON() -> JSON { JanssonTree.convert(root) }

    /// Compact UTF-8 encoding; `sortedKeys` gives a canonical form for hashing; `digits`
    /// (1-31) writes numbers with a fraction to that many significant digits (jansson's
    /// `JSON_REAL_PRECISION`) instead of the 17 that round-trip every double.
    package func encoded(sortedKeys: Bool = false, digits: Int? = nil) -> [UInt8] {
        var flags = JSON_COMPACT | JSON_ENCODE_ANY
        if sortedKeys { flags |= JSON_SORT_KEYS }
        if let digits { flags |= .init((min(max(digits, 1), 31) & 0x1F) << 11) }
        let size = json_dumpb(root, nil, 0, Int(flags))
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = json_dumpb(root, UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), size, Int(flags))
        }
    }

    private static func convert(_ node: UnsafeMutablePointer<json_t>) -> JSON {
        switch mb_json_typeof(node) {
        case JSON_OBJECT:
            var members: [(key: String, value: JSON)] = []
            members.reserveCapacity(json_object_size(node))
            var iter = json_object_iter(node)
            while let it = iter {
                let keyPointer = json_object_iter_key(it)!
                let keyLength = json_object_iter_key_len(it)
                let key = String(decoding: UnsafeRawBufferPointer(start: keyPointer, count: keyLength), as: UTF8.self)
                members.append((key, convert(json_object_iter_value(it)!)))
                iter = json_object_iter_next(node, it)
            }
            return .object(JSONObject(members))
        case JSON_ARRAY:
            let count = json_array_size(node)
            var items: [JSON] = []
            items.reserveCapacity(count)
            for index in 0..<count { items.append(convert(json_array_get(node, index)!)) }
            return .array(items)
        case JSON_STRING:
            let length = json_string_length(node)
            return .string(String(decoding: UnsafeRawBufferPointer(start: json_string_value(node), count: length), as: UTF8.self))
        case JSON_INTEGER:
            return .int(Int64(json_integer_value(node)))
        case JSON_REAL:
            return .double(json_real_value(node))
        case JSON_TRUE:
            return .bool(true)
        case JSON_FALSE:
            return .bool(false)
        default:
            return .null
        }
    }

    private static func make(_ value: JSON) -> UnsafeMutablePointer<json_t> {
        switch value {
        case .null: return json_null()
        case .bool(let b): return b ? json_true() : json_false()
        case .int(let i): return json_integer(json_int_t(i))
        // JSON has no NaN or infinity (jansson's `json_real` returns NULL for them, which
        // trapped at the top level and dropped an object member): such a number is `null`.
        case .double(let d): return d.isFinite ? json_real(d) : json_null()
        case .string(let s):
            var s = s
            // A Swift String is valid UTF-8 already, so jansson's check is skipped.
            return s.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    chars.count == 0 ? json_string_nocheck("") : json_stringn_nocheck(chars.baseAddress!, chars.count)
                }
            }
        case .array(let items):
            let array = json_array()!
            for item in items { json_array_append_new(array, make(item)) }
            return array
        case .object(let object):
            let result = json_object()!
            for (key, member) in object { json_object_set_new_nocheck(result, key, make(member)) }
            return result
        }
    }
}

/// jansson could not parse a document: where and why, in the user's terms.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let source: String
    public let line: Int
    public let column: Int
    public let message: String
    public var description: String { "\(source):\(line):\(column): invalid JSON: \(message)" }

    package init(source: String, line: Int, column: Int, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }
}

/// Parsing and printing entry points for the rest of mediabatch.
public enum JSONEncoding {
    /// Parses one document from bytes (jansson), naming `source` in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws(JSONParseError) -> JSON {
        try JanssonTree.parse(bytes, source: source).toJSON()
    }

    public static func parse(_ bytes: [UInt8], source: String) throws(JSONParseError) -> JSON {
        do {
            return try bytes.withUnsafeBytes { raw in try parse(raw, source: source) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    /// Compact encoding through jansson.
    ///
    /// A non-finite `.double` (NaN, +infinity, -infinity), which JSON cannot spell, is
    /// written as `null`, wherever it sits: top level, array item or object member (the
    /// member is kept, with `null`). The document keeps its shape, so a journal record, a
    /// report or a request body is still written whole and readable, and the `null` says
    /// "no number" where a reader would otherwise meet a missing key or a trap. (What
    /// JavaScript's `JSON.stringify` does too.)
    public static func encode(_ value: JSON, sortedKeys: Bool = false) -> [UInt8] {
        JanssonTree(value).encoded(sortedKeys: sortedKeys)
    }

    /// For documents people read (reports, `--json` output): numbers with a fraction in at
    /// most 15 significant digits, so a cost of 0.072 reads `0.072`, not `0.071999999999999995`.
    public static func encodeForReading(_ value: JSON) -> [UInt8] {
        JanssonTree(value).encoded(digits: 15)
    }
}
