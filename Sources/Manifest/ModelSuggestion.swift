import Tasks

/// "did you mean ...?" for a model id the catalog does not have: the closest id by edit
/// distance, when it is close enough to be a slip (a typo, a dropped `-preview`).
enum ModelSuggestion {
    static func hint(_ id: String, in catalog: ModelCatalog) -> String {
        let wanted = Array(id.utf8)
        var best: (id: String, distance: Int)?
        for candidate in catalog.models.keys {
            let distance = editDistance(wanted, Array(candidate.utf8))
            if distance < (best?.distance ?? Int.max) || (distance == best?.distance && candidate < best!.id) {
                best = (candidate, distance)
            }
        }
        guard let best, best.distance <= max(3, wanted.count / 4) else { return "" }
        return " (did you mean \(best.id)?)"
    }

    /// Levenshtein distance over bytes, two rows.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
