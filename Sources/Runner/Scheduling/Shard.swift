import OpenRouter

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

    public func contains(key: String) -> Bool { RequestKey.shard(of: key, count: count) == index }
    public var description: String { "\(index)/\(count)" }
}
