import Files
import JSON
import Reports
import Runner
import Tasks

/// The rows of `plan`, each written out as soon as the planner decides its task's state
/// and read back once, in listing order, when the totals are known. A plan of a hundred
/// thousand rows holds none of them (but those that wait for the journals to be read,
/// `RunPlanner.mostWaiting` at most): per row only its text's length and its id's hash stay
/// in memory (the hash places a task taking other tasks' outputs right after the last of its
/// producers). Those dependents, decided last by the chain planner, are kept whole.
final class PlanListing {
    typealias State = PlannedState

    /// How the rows are printed: the text of each row is made in that shape when it is known.
    enum Shape {
        /// Totals only: no row is kept.
        case summary
        /// Tab-separated cells (a pipe; a terminal table splits them again); `all` adds
        /// the state and lists every task, not only those to run.
        case cells(all: Bool)
        /// One JSON object per task, every column and its state.
        case json

        var isJSON: Bool {
            if case .json = self { return true }
            return false
        }
    }

    /// Requests, estimated dollars and unpriced requests for one model.
    struct ModelLine {
        var requests = 0
        var cost = 0.0
        var unpriced = 0
    }

    /// A row not yet written: waiting for its state (or, a dependent, for the chain planner).
    struct Row {
        let id: String
        let model: Int32
        let requests: Int
        let estimate: Double?
        let line: String
        /// For `--json`: every column and more.
        let columns: JSONObject?
        /// A dependent: the producers it takes outputs from, and its output folder and key.
        var after: [String] = []
        var dependent: FolderKey?
        var state: State?
    }

    /// A task's output folder and key: what tells tasks apart across the listing.
    struct FolderKey: Hashable {
        let folder: String
        let key: String
    }

    let shape: Shape
    /// The models rows name, by number.
    private(set) var models: [String] = []
    private var modelNumbers: [String: Int32] = [:]
    private(set) var byModel: [String: ModelLine] = [:]
    private(set) var counts: [State: Int] = [:]
    private(set) var rowCount = 0

    private let spool = ScratchFile()
    /// Each written row's text length and its id's hash, in visiting order.
    private var lengths: [UInt32] = []
    private var idHashes: [Int] = []
    /// Rows visited and not yet written (their state comes later), by visiting place.
    private var waiting: [Int: Row] = [:]
    private var nextToWrite = 0
    private var visited = 0
    /// The dependents, in the order the chain planner visits them (producers first).
    private(set) var dependents: [Row] = []

    init(shape: Shape) { self.shape = shape }

    /// The number `model` has in `models`.
    func number(of model: String) -> Int32 {
        if let number = modelNumbers[model] { return number }
        models.append(model)
        modelNumbers[model] = Int32(models.count - 1)
        return Int32(models.count - 1)
    }

    /// A task the planner visited: a dependent waits for the end, any other for its state.
    func visit(_ row: Row) {
        if row.dependent != nil {
            dependents.append(row)
            return
        }
        waiting[visited] = row
        visited += 1
    }

    /// The state of the task visited `index`-th (dependents aside): rows are written in
    /// visiting order as their states come.
    func decide(_ index: Int, _ state: State) {
        waiting[index]?.state = state
        while let row = waiting[nextToWrite], let state = row.state {
            waiting[nextToWrite] = nil
            nextToWrite += 1
            count(row, state)
            guard !isSummary else { continue }
            // A row not listed keeps its place (a dependent may follow it) but not its text.
            let text = Self.code(of: state) + (isListed(state) ? self.text(of: row, state: state) : "")
            lengths.append(UInt32(clamping: text.utf8.count))
            idHashes.append(row.id.hashValue)
            _ = spool.append(text)
        }
    }

    /// Gives each dependent its state, once the planner is done.
    func decideDependents(_ state: (Row) -> State) {
        for index in dependents.indices {
            let decided = state(dependents[index])
            dependents[index].state = decided
            count(dependents[index], decided)
        }
    }

    private var isSummary: Bool {
        if case .summary = shape { return true }
        return false
    }

    /// Whether a row in `state` is printed: `plan` without `--all` lists what would run.
    func isListed(_ state: State) -> Bool {
        if case .cells(all: false) = shape { return state == .run }
        return !isSummary
    }

    private func count(_ row: Row, _ state: State) {
        rowCount += 1
        counts[state, default: 0] += 1
        guard state == .run else { return }
        let model = models[Int(row.model)]
        byModel[model, default: ModelLine()].requests += row.requests
        if let estimate = row.estimate { byModel[model]!.cost += estimate } else { byModel[model]!.unpriced += row.requests }
    }

    /// What is printed for a row in this listing's shape.
    private func text(of row: Row, state: State) -> String {
        switch shape {
        case .summary: return ""
        case .cells(let all):
            var text = row.line + "\t" + (row.estimate.map(Terminal.dollars) ?? "cost unknown")
            if all { text += "\t" + state.rawValue }
            return text
        case .json:
            var entry = row.columns ?? [:]
            entry["state"] = .string(state.rawValue)
            entry["model"] = .string(models[Int(row.model)])
            entry["requests"] = .int(Int64(row.requests))
            entry["estimatedCost"] = row.estimate.map { .double(RunReport.money($0)) } ?? .null
            return String(decoding: JSONEncoding.encodeForReading(.object(entry)), as: UTF8.self)
        }
    }

    /// A state as one character, before a written row's text.
    private static func code(of state: State) -> String {
        switch state {
        case .run: return "r"
        case .done: return "d"
        case .kept: return "k"
        case .refused: return "x"
        case .otherShard: return "s"
        case .polled: return "p"
        case .uncertain: return "u"
        }
    }

    /// Every row in listing order, with its state and its text in this listing's shape: the
    /// rows in visiting order, each dependent right after the last of its producers
    /// (dependents of dependents after those, by depth), a dependent none of whose
    /// producers is listed first.
    func forEachRow(_ body: (State, String) -> Void) {
        guard !isSummary else { return }
        let anchored = anchoredDependents()
        var next = 0
        func dependentsAnchored(at anchor: Int) {
            while next < anchored.count, anchored[next].anchor == anchor {
                let row = dependents[anchored[next].index]
                body(row.state ?? .run, text(of: row, state: row.state ?? .run))
                next += 1
            }
        }
        dependentsAnchored(at: -1)
        var place: ScratchFile.Place?
        for (index, length) in lengths.enumerated() {
            let at = spool.place(following: place, length: Int(length))
            place = at
            let record = spool.text(at: at)
            body(Self.state(of: record.utf8.first), String(record.dropFirst()))
            dependentsAnchored(at: index)
        }
    }

    private static func state(of code: UInt8?) -> State {
        switch code {
        case UInt8(ascii: "d"): return .done
        case UInt8(ascii: "k"): return .kept
        case UInt8(ascii: "x"): return .refused
        case UInt8(ascii: "s"): return .otherShard
        case UInt8(ascii: "p"): return .polled
        case UInt8(ascii: "u"): return .uncertain
        default: return .run
        }
    }

    /// Each dependent's anchor (the written row it follows, -1: first) and depth, sorted as
    /// listed. A producer that is itself a dependent passes on its anchor, one level deeper.
    private func anchoredDependents() -> [(anchor: Int, depth: Int, index: Int)] {
        guard !dependents.isEmpty else { return [] }
        // The written rows of the producers named, by id hash (the last of a hash wins, as
        // the last of an id did).
        let named = Set(dependents.flatMap { $0.after.map(\.hashValue) })
        var rowOf: [Int: Int] = [:]
        for (index, hash) in idHashes.enumerated() where named.contains(hash) { rowOf[hash] = index }
        var place: [String: (anchor: Int, depth: Int)] = [:]
        var order: [(anchor: Int, depth: Int, index: Int)] = []
        for (index, row) in dependents.enumerated() {
            var spot = (anchor: -1, depth: 0)
            for producer in row.after {
                guard let at = place[producer] ?? rowOf[producer.hashValue].map({ ($0, 0) }) else { continue }
                if at.anchor > spot.anchor || (at.anchor == spot.anchor && at.depth + 1 > spot.depth) { spot = (at.anchor, at.depth + 1) }
            }
            place[row.id] = spot
            order.append((spot.anchor, spot.depth, index))
        }
        return order.sorted { ($0.anchor, $0.depth, $0.index) < ($1.anchor, $1.depth, $1.index) }
    }
}
