/// The output paths a plan's tasks claim, to find two tasks writing one file, or two whose
/// paths differ only in case (one file on a case-insensitive disk: macOS, Windows, most USB
/// sticks). A path is held as its hash with the claiming task's place, a few bytes: the
/// paths themselves, for a hundred thousand rows, would weigh tens of MiB. A hit is
/// confirmed by expanding the other task again, which a clash (an error) needs anyway for
/// its message; two paths sharing a hash (one in billions) are then told apart by their text.
struct OutputClaims {
    /// Where a claiming task is: its entry and its place among the entry's tasks.
    struct Claim {
        let manifest: Int32
        let entry: Int32
        let ordinal: Int32

        init(_ ref: BatchPlan.EntryRef, ordinal: Int) {
            manifest = Int32(ref.manifest)
            entry = Int32(ref.entry)
            self.ordinal = Int32(ordinal)
        }

        var ref: BatchPlan.EntryRef { BatchPlan.EntryRef(manifest: Int(manifest), entry: Int(entry)) }
    }

    /// A claim found for a path: the task's id, its own path (as it wrote it) and place.
    struct Claimant {
        let id: String
        let key: String
        let claim: Claim
    }

    private var byHash: [Int: Claim] = [:]
    /// Paths whose hash an earlier, different path has (almost never any).
    private var byPath: [String: Claim] = [:]

    init(capacity: Int) { byHash.reserveCapacity(capacity) }

    /// Claims `key` for the task at `claim`, or returns the task that claimed it (or a path
    /// differing only in case) first. `task` expands a claimed task again: its id and path.
    mutating func claim(_ key: String, by claim: Claim, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        let folded = Self.folded(key)
        if let found = claimant(folded: folded, task: task) { return found }
        let hash = folded.hashValue
        if byHash[hash] == nil { byHash[hash] = claim } else { byPath[folded] = claim }
        return nil
    }

    /// The task that claimed `key` (or a path differing from it only in case), if any.
    func claimant(of key: String, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        claimant(folded: Self.folded(key), task: task)
    }

    private func claimant(folded: String, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        if let claim = byPath[folded], let found = task(claim) { return Claimant(id: found.id, key: found.key, claim: claim) }
        guard let claim = byHash[folded.hashValue], let found = task(claim), Self.folded(found.key) == folded else { return nil }
        return Claimant(id: found.id, key: found.key, claim: claim)
    }

    /// `key` in lower case when it has capitals or non-ASCII (one file on a case-insensitive disk).
    static func folded(_ key: String) -> String {
        key.utf8.contains(where: { (0x41...0x5A).contains($0) || $0 >= 0x80 }) ? key.lowercased() : key
    }
}
