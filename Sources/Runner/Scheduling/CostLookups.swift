import Dispatch
import HTTP
import OpenRouter
import Support

/// Asks OpenRouter for the final cost of generations (`GET /generation`) in the background,
/// on lanes of their own, each with its own connection, so that no network worker ever waits for
/// it. OpenRouter may answer 404 for a while after a generation ends: a lookup asks again
/// later (never sleeping on the lane: the next ask is scheduled), until its patience runs
/// out. A speech chunk's lookup is short (its answer came, the cost follows within a
/// second); a broken-off chat generation's is patient (up to a minute).
package final class CostLookups: Sendable {
    private let client: OpenRouterClient
    /// A few lanes, each with its own connection: a narration's chunks each ask, and one
    /// lane at a round trip per lookup would hold the run's narrations back.
    private let lanes: [Lane]
    private let nextLane = Locked(0)
    private let outstanding = DispatchGroup()

    /// One serial queue and the connection only its blocks use.
    private struct Lane: Sendable {
        let queue: DispatchQueue
        let connection: LaneConnection
    }

    package init(client: OpenRouterClient, limits: HTTPLimits, trace: HTTPTrace?, lanes count: Int = 4) {
        self.client = client
        lanes = (0..<max(count, 1)).map { index in
            Lane(queue: DispatchQueue(label: "mediabatch.cost-lookups.\(index)"), connection: LaneConnection(limits: limits, trace: trace))
        }
    }

    /// Starts looking up `generationID` for up to `patience` seconds; the ticket gives the
    /// answer once it is known, and `then` (if given) is called with it, on the lane.
    package func lookUp(_ generationID: String, patience: Double = 1.5, then: (@Sendable (Double?) -> Void)? = nil) -> CostTicket {
        let ticket = CostTicket()
        outstanding.enter()
        let deadline = MonotonicClock.now() + patience
        let lane = nextLane.withLock { index in
            defer { index += 1 }
            return lanes[index % lanes.count]
        }
        ask(generationID, on: lane, ticket: ticket, deadline: deadline, wait: 0.5, then: then)
        return ticket
    }

    /// Waits for every lookup started so far (each ends by its deadline).
    package func drain() { outstanding.wait() }

    private func ask(_ id: String, on lane: Lane, ticket: CostTicket, deadline: Double, wait: Double, then: (@Sendable (Double?) -> Void)?) {
        lane.queue.async { [self] in
            let answer: OpenRouterClient.GenerationCost
            // No connection (libcurl refused the set-up): the cost stays unknown, as for any
            // lookup that fails; the tasks themselves fail with that error on their workers.
            if case .success(let connection) = lane.connection.connection {
                answer = client.generationCost(id: id, on: connection)
            } else {
                answer = .unavailable
            }
            let now = MonotonicClock.now()
            if case .pending = answer, now + wait <= deadline {
                lane.queue.asyncAfter(deadline: .now() + wait) { [self] in
                    ask(id, on: lane, ticket: ticket, deadline: deadline, wait: min(wait * 2, 10), then: then)
                }
                return
            }
            let cost: Double? = if case .settled(let value) = answer { value } else { nil }
            ticket.settle(cost)
            then?(cost)
            outstanding.leave()
        }
    }
}

/// The answer of one cost lookup, once it is known.
package final class CostTicket: Sendable {
    /// The cost once known (`settled`), and what is to hear it then.
    private let state = Locked<(settled: Bool, cost: Double?, waiting: [@Sendable (Double?) -> Void])>((false, nil, []))

    fileprivate func settle(_ value: Double?) {
        let waiting = state.withLock { state in
            state.settled = true
            state.cost = value
            defer { state.waiting = [] }
            return state.waiting
        }
        for body in waiting { body(value) }
    }

    /// Calls `body` once every ticket has settled, with the sum of the costs they know (nil
    /// when none does): now, when all are settled already (or there are none), else on the
    /// lookup lane of the last.
    package static func whenAllSettled(_ tickets: [CostTicket], _ body: @escaping @Sendable (Double?) -> Void) {
        guard !tickets.isEmpty else { return body(nil) }
        let pending = Locked((left: tickets.count, costs: [Double]()))
        for ticket in tickets {
            ticket.whenSettled { cost in
                let done = pending.withLock { state -> [Double]? in
                    if let cost { state.costs.append(cost) }
                    state.left -= 1
                    return state.left == 0 ? state.costs : nil
                }
                if let done { body(done.isEmpty ? nil : done.reduce(0, +)) }
            }
        }
    }

    /// Calls `body` with the cost once it is known: now if it is, else on the lookup lane
    /// when it settles (before `CostLookups.drain` returns).
    package func whenSettled(_ body: @escaping @Sendable (Double?) -> Void) {
        let known: Double?? = state.withLock { state in
            if state.settled { return .some(state.cost) }
            state.waiting.append(body)
            return .none
        }
        if case .some(let cost) = known { body(cost) }
    }
}

/// The lookup lane's connection.
private final class LaneConnection: @unchecked Sendable {
    // @unchecked Sendable, because: the connection is made in `init`, before any lookup is
    // queued, and from then on used only by blocks on the lookup lane, a serial queue, so
    // by one thread at a time.
    let connection: Result<HTTPConnection, HTTPError>

    init(limits: HTTPLimits, trace: HTTPTrace?) {
        connection = Result { () throws(HTTPError) in try HTTPConnection(limits: limits, trace: trace) }
    }
}
