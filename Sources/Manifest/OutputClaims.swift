/// The output paths a plan's tasks claim, to find two tasks writing one file, or two whose
/// paths differ only in case (one file on a case-insensitive disk: macOS, Windows, most USB
/// sticks). A path is held as its hash with the claiming task's place, a few bytes: the
/// paths themselves, for a hundred thousand rows, would weigh tens of MiB. A hit is
/// confirmed by expanding the other task again, which a clash (an error) needs anyway for
/// its message; two paths sharing a hash (one in billions) are then told apart by their text.
package struct OutputClaims {
    /// Where a claiming task is: its entry and its place among the entry's tasks.
    package struct Claim {
        package let manifest: Int32
        package let entry: Int32
        package let ordinal: Int32

        package init(_ ref: BatchPlan.EntryRef, ordinal: Int) {
            self.init(manifest: ref.manifest, entry: ref.entry, ordinal: ordinal)
        }

        package init(manifest: Int, entry: Int, ordinal: Int) {
            self.manifest = Int32(manifest)
            self.entry = Int32(entry)
            self.ordinal = Int32(ordinal)
        }

        package var ref: BatchPlan.EntryRef { BatchPlan.EntryRef(manifest: Int(manifest), entry: Int(entry)) }
    }

    /// A claim found for a path: the task's id, its own path (as it wrote it) and place.
    package struct Claimant {
        package let id: String
        package let key: String
        package let claim: Claim
        /// False when the claiming task could not be expanded again as it was (an input
        /// changed meanwhile): the clash is told without its id.
        package var confirmed = true
    }

    private var byHash: [Int: Claim] = [:]
    /// Paths whose hash an earlier, different path has (almost never any).
    private var byPath: [String: Claim] = [:]

    /// The hash paths are held by (tests give one that collides).
    private let hash: (String) -> Int

    package init(capacity: Int, hash: @escaping (String) -> Int = { $0.hashValue }) {
        byHash.reserveCapacity(capacity)
        self.hash = hash
    }

    /// Claims `key` for the task at `claim`, or returns the task that claimed it (or a path
    /// differing only in case) first. `task` expands a claimed task again: its id and path.
    package mutating func claim(_ key: String, by claim: Claim, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        let folded = Self.folded(key)
        let bucket = hash(folded)
        if let found = claimant(folded: folded, bucket: bucket, task: task) { return found }
        if byHash[bucket] == nil { byHash[bucket] = claim } else { byPath[folded] = claim }
        return nil
    }

    /// The task that claimed `key` (or a path differing from it only in case), if any.
    package func claimant(of key: String, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        let folded = Self.folded(key)
        return claimant(folded: folded, bucket: hash(folded), task: task)
    }

    private func claimant(folded: String, bucket: Int, task: (Claim) -> (id: String, key: String)?) -> Claimant? {
        if let claim = byPath[folded] { return claimant(claim, task: task) }
        guard let claim = byHash[bucket] else { return nil }
        let found = claimant(claim, task: task)
        // Another path sharing the hash is no clash; a task not expanded again as it was (an
        // input changed meanwhile) is one, unconfirmed rather than missed.
        return !found.confirmed || Self.folded(found.key) == folded ? found : nil
    }

    private func claimant(_ claim: Claim, task: (Claim) -> (id: String, key: String)?) -> Claimant {
        guard let found = task(claim) else {
            var unconfirmed = Claimant(id: "", key: "", claim: claim)
            unconfirmed.confirmed = false
            return unconfirmed
        }
        return Claimant(id: found.id, key: found.key, claim: claim)
    }

    /// `key` in lower case when it has capitals or non-ASCII (one file on a case-insensitive disk).
    package static func folded(_ key: String) -> String {
        key.utf8.contains(where: { (0x41...0x5A).contains($0) || $0 >= 0x80 }) ? key.lowercased() : key
    }
}
