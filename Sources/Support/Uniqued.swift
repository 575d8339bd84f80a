extension Sequence where Element: Hashable {
    /// The elements without repeats: each kept where it first appears, in order.
    @inlinable public func uniqued() -> [Element] {
        var kept: [Element] = []
        // A few kept elements are searched in place (most callers keep a handful of names,
        // many times per entry); past those a set is made and searched instead.
        var seen: Set<Element> = []
        for element in self {
            if kept.count < 8 {
                if kept.contains(element) { continue }
            } else {
                if seen.isEmpty { seen = Set(kept) }
                if !seen.insert(element).inserted { continue }
            }
            kept.append(element)
        }
        return kept
    }
}

extension Sequence {
    /// The elements without two of the same `key`: the first of each kept, in order.
    @inlinable public func uniqued<Key: Hashable>(by key: (Element) throws -> Key) rethrows -> [Element] {
        var seen = Set<Key>()
        return try filter { seen.insert(try key($0)).inserted }
    }
}
