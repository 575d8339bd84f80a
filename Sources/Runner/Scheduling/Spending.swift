import Reports
import Support
import Tasks

/// The run's one spent figure and its budget gate. Every billed generation is counted here:
/// done tasks, answers that were refused or held no image, answers rejected after arrival,
/// transfers that failed after the generation started (their cost looked up), and speech.
/// The closing line, `report.json` and the journal read the same figure.
///
/// With a cap (`--max-cost`, or what `--max-total-cost` leaves after earlier runs), a
/// request is admitted only when the spent figure, plus the estimates of the requests in
/// flight, plus its own estimate stay within the cap: the overshoot is at most the error
/// of the estimates. Estimates come from the model list's prices when cached, else from
/// what this run has paid so far per model, else from earlier runs' mean. A request with no
/// estimate at all (a model without a price, before its first answer) goes alone under a cap:
/// no other unpriced request of its model starts until its cost is known or it ended unpaid
/// (`mustWait`), so the cap is passed by at most one request's cost, not by a whole
/// concurrency's worth.
package final class Spending: Sendable {
    private struct State {
        var spent = 0.0
        var reserved = 0.0
        var refused = false
        /// Per model: dollars and units (images, or characters of speech) paid for so far.
        var observed: [String: (dollars: Double, units: Double)] = [:]
        /// Per model: what `plan` estimated for the requests paid for (nil once one was unpriced).
        var estimated: [String: Double?] = [:]
        /// Per model: the unpriced request admitted under a cap and not settled yet (its token).
        var probing: [String: UInt64] = [:]
        var nextProbe: UInt64 = 0
        /// Models without a price whose answers this run were free (no probe needed).
        var knownFree = Set<String>()

        /// `paid` for `units` of `model`, beside what the catalog estimated for them (nil:
        /// unpriced, and the model's estimate with it).
        mutating func count(_ paid: Double, model: String, units: Double, estimate: Double?) {
            let seen = observed[model] ?? (0, 0)
            observed[model] = (seen.dollars + paid, seen.units + units)
            let before = estimated[model] ?? 0
            estimated[model] = before.flatMap { total in estimate.map { total + $0 } }
        }
    }

    private let state = Locked(State())
    /// Dollars this run may spend, nil without a cap.
    package let cap: Double?
    private let catalog: ModelCatalog?
    /// What a task cost on average in earlier runs (the journals), for a model this run has
    /// no price and no answer for yet.
    private let fallback: Double?

    package init(cap: Double?, catalog: ModelCatalog?, earlierMeanCost: Double? = nil) {
        self.cap = cap
        self.catalog = catalog
        fallback = earlierMeanCost
    }

    /// Dollars spent so far in this run.
    package var spent: Double { state.withLock { $0.spent } }

    /// Whether a request was refused for the cap: the run stopped at its budget.
    package var capReached: Bool { state.withLock { $0.refused } }

    /// Reserves `job`'s estimate; nil when the cap does not allow it (nothing is reserved).
    /// `probe`: the token of an unpriced request admitted alone (see `mustWait`).
    package func admit(_ job: Job) -> (reserved: Double, probe: UInt64?)? {
        let (model, units, price) = Self.measure(job, catalog: catalog)
        return state.withLock { state -> (reserved: Double, probe: UInt64?)? in
            // What this model's requests cost: its price, else what it was paid this run.
            let known = price.map { $0 * units } ?? state.observed[model].map { $0.units > 0 ? $0.dollars / $0.units * units : 0 }
                ?? (state.knownFree.contains(model) ? 0 : nil)
            // Earlier runs' mean over every model is a guess to reserve, not a price.
            let estimate = known ?? fallback ?? 0
            if let cap, state.spent + state.reserved + estimate > cap || state.spent >= cap {
                state.refused = true
                return nil
            }
            state.reserved += estimate
            guard cap != nil, known == nil, Self.sendsPaidRequest(job) else { return (estimate, nil) }
            state.nextProbe += 1
            state.probing[model] = state.nextProbe
            return (estimate, state.nextProbe)
        }
    }

    /// Under a cap, whether `job` must wait: its cost cannot be estimated and another
    /// unpriced request of its model is still out (in flight, or a video job rendering).
    package func mustWait(_ job: Job) -> Bool {
        // Cheap first (this runs for each candidate the scheduler looks at): no probe out, no wait.
        guard cap != nil, Self.sendsPaidRequest(job), state.withLock({ $0.probing[job.model] != nil }) else { return false }
        guard Self.measure(job, catalog: catalog).price == nil else { return false }
        return state.withLock { $0.observed[job.model] == nil && !$0.knownFree.contains(job.model) && $0.probing[job.model] != nil }
    }

    /// Whether `job` sends a request that is paid for: not a narration that only joins kept
    /// chunks, not a video job an earlier run submitted (polled, not bought again).
    private static func sendsPaidRequest(_ job: Job) -> Bool {
        !job.sendsNothing && job.videoJob?.jobID == nil
    }

    /// The unpriced request `job` is over as far as the cap goes: its cost is known, or it
    /// ended without one (then the next may go alone in its turn).
    package func endProbe(_ job: Job) {
        guard let token = job.probe else { return }
        state.withLock { if $0.probing[job.model] == token { $0.probing[job.model] = nil } }
    }

    /// A request ended: its reservation goes, what it cost (if anything) comes in.
    /// `wholeTask`: `paid` is the whole task's (a finished narration's chunks together), not
    /// the one chunk `job` carries.
    package func settle(reserved: Double, paid: Double?, for job: Job? = nil, wholeTask: Bool = false) {
        // The estimate beside what was paid, worked out only when something was.
        let measured = paid.flatMap { $0 > 0 ? job.map { Self.measure($0, catalog: catalog, wholeTask: wholeTask) } : nil }
        state.withLock { state in
            state.reserved = max(0, state.reserved - reserved)
            // The cost is in before the probe ends (one lock): a request woken between the
            // two would find neither, and go unpriced against a spent figure without it.
            defer { if let job, let token = job.probe, state.probing[job.model] == token { state.probing[job.model] = nil } }
            guard let paid else { return }
            if paid == 0, let job { state.knownFree.insert(job.model) }
            guard paid > 0 else { return }
            state.spent += paid
            if let (model, units, price) = measured { state.count(paid, model: model, units: units, estimate: price.map { $0 * units }) }
        }
    }

    /// An earlier version's video job collected (see `SupersededVideoJob`): what it cost, in
    /// the run's spend and under its model (when its journal record names it) beside the
    /// estimate it was submitted with.
    package func settleSuperseded(paid: Double?, model: String?, estimate: Double?) {
        state.withLock { state in
            guard let paid, paid > 0 else { return }
            state.spent += paid
            if let model { state.count(paid, model: model, units: 1, estimate: estimate) }
        }
    }

    /// Per model, the estimate (the catalog's prices, as `plan` uses them) of what was paid
    /// for, beside what was paid: how far to trust `plan`.
    package var byModel: [String: ModelSpend] {
        state.withLock { state in
            state.observed.reduce(into: [:]) { $0[$1.key] = ModelSpend(estimated: state.estimated[$1.key] ?? nil, spent: $1.value.dollars) }
        }
    }

    /// Which model a job pays, how many units it asks for (images, or characters), and the
    /// catalog's price per unit when known.
    private static func measure(_ job: Job, catalog: ModelCatalog?, wholeTask: Bool = false) -> (model: String, units: Double, price: Double?) {
        switch job.task {
        case .image(let task):
            let price = CostEstimate.image(task, catalog: catalog).map { $0 / Double(task.imagesPerRequest) }
            return (task.model.wireID, Double(task.imagesPerRequest), price)
        case .speech(let task):
            let characters = Double(wholeTask ? task.text.count : job.part?.text.count ?? task.text.count)
            return (task.model.wireID, characters, catalog?.models[task.model.wireID]?.pricePerCharacter)
        case .video(let task):
            return (task.model.wireID, 1, CostEstimate.video(task, catalog: catalog))
        }
    }
}
