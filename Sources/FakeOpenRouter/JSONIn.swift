import Foundation

/// Reading request bodies with Foundation's JSONSerialization: deliberately a different JSON
/// implementation from the client's (jansson), so a client encoding bug cannot be masked by
/// the same bug on both sides. The helpers are strict about types (a `true` is not a number).
enum JSONIn {
    enum Failure: Error {
        case invalid
        case notAnObject
    }

    static func object(_ body: [UInt8]) -> Result<[String: Any], Failure> {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            return .failure(.invalid)
        }
        guard let object = value as? [String: Any] else { return .failure(.notAnObject) }
        return .success(object)
    }

    static func isBool(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber, !(value is String) else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func string(_ value: Any?) -> String? { value as? String }

    /// The address of an image part, `{"type": "image_url", "image_url": {"url": ...}}`, when
    /// it is a data URL starting `dataPrefix` or an http(s) URL; nil for anything else. Chat
    /// messages, `/images` references and `/videos` frames all send images so.
    static func imageURL(of part: [String: Any], dataPrefix: String = "data:") -> String? {
        guard string(part["type"]) == "image_url", let image = part["image_url"] as? [String: Any], let url = string(image["url"]),
            url.hasPrefix(dataPrefix) || url.hasPrefix("https://") || url.hasPrefix("http://")
        else { return nil }
        return url
    }

    /// A JSON number that is not a boolean.
    static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, !isBool(value) else { return nil }
        return number.doubleValue
    }

    /// A JSON number with no fractional part.
    static func integer(_ value: Any?) -> Int? {
        guard let double = number(value), double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    static func isNull(_ value: Any?) -> Bool { value == nil || value is NSNull }
}
