import Tasks

/// "did you mean ...?" for a name that is not known (a model id the catalog does not have,
/// a field a task does not take): the closest known name by edit distance, when it is close
/// enough to be a slip (a typo, a dropped `-preview`).
enum ModelSuggestion {
    static func hint(_ id: String, in catalog: ModelCatalog) -> String {
        hint(id, among: catalog.models.keys)
    }

    /// `minimumSlack`: the edits always allowed (model ids take 3; short field names 1, or
    /// every three-letter word would be a slip of every other).
    static func hint<Names: Sequence<String>>(_ id: String, among names: Names, minimumSlack: Int = 3) -> String {
        let wanted = Array(id.utf8)
        var best: (id: String, distance: Int)?
        for candidate in names {
            let distance = editDistance(wanted, Array(candidate.utf8))
            if distance < (best?.distance ?? Int.max) || (distance == best?.distance && candidate < best!.id) {
                best = (candidate, distance)
            }
        }
        guard let best, best.distance <= max(minimumSlack, wanted.count / 4) else { return "" }
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
