import Dispatch
import HTTP
import OpenRouter
import Support

/// Asks OpenRouter for the final cost of generations (`GET /generation`) in the background,
/// on a lane of its own with its own connection, so that no network worker ever waits for
/// it. OpenRouter may answer 404 for a moment after a generation ends: a lookup asks up to
/// three times, half a second apart.
package final class CostLookups: Sendable {
    private let client: OpenRouterClient
    private let lane = DispatchQueue(label: "mediabatch.cost-lookups")
    private let connection: LaneConnection

    package init(client: OpenRouterClient, limits: HTTPLimits, trace: HTTPTrace?) {
        self.client = client
        connection = LaneConnection(limits: limits, trace: trace)
    }

    /// Starts looking up `generationID`; the ticket gives the answer once it is known.
    package func lookUp(_ generationID: String) -> CostTicket {
        let ticket = CostTicket()
        ticket.pending.enter()
        lane.async { [client, connection] in
            var cost: Double?
            // No connection (libcurl refused the set-up): the cost stays unknown, as for any
            // lookup that fails; the tasks themselves fail with that error on their workers.
            guard case .success(let connection) = connection.connection else {
                ticket.settle(nil)
                return
            }
            for attempt in 0..<3 {
                if attempt > 0 { MonotonicClock.sleep(0.5) }
                switch client.generationCost(id: generationID, on: connection) {
                case .settled(let value): cost = value
                case .pending: continue
                case .unavailable: break
                }
                break
            }
            ticket.settle(cost)
        }
        return ticket
    }
}

/// The answer of one cost lookup, once it is known.
package final class CostTicket: Sendable {
    fileprivate let pending = DispatchGroup()
    private let cost = Locked<Double?>(nil)

    fileprivate func settle(_ value: Double?) {
        cost.withLock { $0 = value }
        pending.leave()
    }

    /// Waits for the lookup; nil when OpenRouter did not say.
    package func wait() -> Double? {
        pending.wait()
        return cost.withLock { $0 }
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
