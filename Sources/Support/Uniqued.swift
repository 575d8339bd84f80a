extension Sequence where Element: Hashable {
    /// The elements without repeats: each kept where it first appears, in order.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension Sequence {
    /// The elements without two of the same `key`: the first of each kept, in order.
    public func uniqued<Key: Hashable>(by key: (Element) throws -> Key) rethrows -> [Element] {
        var seen = Set<Key>()
        return try filter { seen.insert(try key($0)).inserted }
    }
}
