/// One slice of a batch shared by several machines: tasks whose key falls in `index`
/// (0-based) of `count`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    public func contains(key: String) -> Bool { Shard.index(of: key, count: count) == index }

    /// The shard (0-based, of `count`) a task key belongs to: its first 8 bytes (16 hex
    /// digits) modulo `count`, so every machine splits a batch the same way.
    public static func index(of key: String, count: Int) -> Int {
        var value: UInt64 = 0
        for byte in key.utf8.prefix(16) {
            let digit = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
            value = value << 4 | UInt64(digit)
        }
        return Int(value % UInt64(count))
    }
    public var description: String { "\(index)/\(count)" }
}
