import JSON
import Tasks
import ManifestDiagnostics
import Support

/// What a task slot of a manifest holds: an entry as written, one row of an entry with
/// rows (its own, the header's, or the files its pattern matched), or an entry whose rows
/// could not be read (already reported, so it expands to nothing).
package enum RowSlot: Sendable {
    case none
    case row(Result<Row, RowProblem>, rewrite: String?)
    case failed

    /// True for the slot that speaks for its entry: a plain entry, or its first row.
    package var isFirst: Bool {
        switch self {
        case .none, .failed: return true
        case .row(.success(let row), _): return row.number == 1
        case .row(.failure(let problem), _): return problem.issue.line == nil
        }
    }
}

/// Maps the slots a plan counts and validates in blocks to a manifest's entries and their
/// rows: an entry with rows takes one slot per row, so a 100,000-row CSV is validated in
/// blocks on both threads like a 100,000-line JSONL manifest, and its rows are decoded one
/// at a time. Without any rows, slot `i` is entry `i` and nothing is stored.
package struct EntrySlots: Sendable {
    package enum Kind: Sendable {
        case plain
        /// `rewrite` names the field (`inputImages`, `textFile`) a pattern stood in, which
        /// each row's `{file}` replaces.
        case rows(RowSource, rewrite: String?)
        case failed
    }

    private struct Span: Sendable {
        let entry: Int
        let first: Int
        let kind: Kind
        /// The columns its rows showed as they were decoded, when each row names its own.
        let columnsSeen: RowColumnsSeen?
    }

    private let spans: [Span]
    package let count: Int

    /// Identity: one slot per entry.
    package init(entries: Int) {
        spans = []
        count = entries
    }

    /// One span per entry, `kinds[i]` saying what entry `i` holds.
    package init(kinds: [Kind]) {
        var spans: [Span] = []
        spans.reserveCapacity(kinds.count)
        var next = 0
        for (entry, kind) in kinds.enumerated() {
            switch kind {
            case .plain, .failed:
                spans.append(Span(entry: entry, first: next, kind: kind, columnsSeen: nil))
                next += 1
            case .rows(let source, _):
                spans.append(Span(entry: entry, first: next, kind: kind, columnsSeen: source.columns == nil ? RowColumnsSeen(rows: source.count) : nil))
                next += source.count
            }
        }
        self.spans = spans
        count = next
    }

    /// The column names of the rows, in the order they first appear: a CSV's from its
    /// header, other sources' (JSONL, inline rows) from each row, as seen when the rows were
    /// decoded (validation decodes them all; a row not decoded yet is decoded now).
    package func columnNames() -> [String] {
        var names: [String] = []
        for span in spans {
            guard case .rows(let source, _) = span.kind else { continue }
            names += source.columns ?? span.columnsSeen?.names { Self.columns(of: source.row(at: $0)) } ?? []
        }
        return names.uniqued()
    }

    private static func columns(of row: Result<Row, RowProblem>) -> [String] {
        guard case .success(let row) = row else { return [] }
        return row.order
    }

    /// The entry of `slot` and what the slot holds.
    package func locate(_ slot: Int) -> (entry: Int, row: RowSlot) {
        guard !spans.isEmpty else { return (slot, .none) }
        var low = 0, high = spans.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if spans[middle].first <= slot { low = middle } else { high = middle - 1 }
        }
        // The last span starting at or before the slot: entries with no rows (an optional
        // pattern that matched nothing) start where the next one does and are passed over.
        let span = spans[low]
        switch span.kind {
        case .plain: return (span.entry, .none)
        case .failed: return (span.entry, .failed)
        case .rows(let source, let rewrite):
            let index = slot - span.first
            let row = source.row(at: index)
            span.columnsSeen?.record(row: index, columns: Self.columns(of: row))
            return (span.entry, .row(row, rewrite: rewrite))
        }
    }
}

extension BatchPlan {
    /// The rows' column names of the manifests writing to each output folder (of `folders`,
    /// or all): the columns `results.csv` has, found without expanding a task.
    package func rowColumnNames(in folders: Set<String>?) -> [String: [String]] {
        var byFolder: [String: [String]] = [:]
        for manifest in manifests {
            let folder = manifest.header.outputFolder
            if let folders, !folders.contains(folder) { continue }
            byFolder[folder] = ((byFolder[folder] ?? []) + manifest.rowColumnNames()).uniqued()
        }
        return byFolder
    }

    /// Every task of a validated plan in order, with the columns of the row it came from
    /// (none for a task without rows): what `results.csv` lists.
    package func forEachTaskWithColumns(in folders: Set<String>?, _ body: (MediaTask, [(name: String, value: String)]) -> Void) {
        var expander = makeExpander()
        for (index, manifest) in manifests.enumerated() {
            if let folders, !folders.contains(manifest.header.outputFolder) { continue }
            for slot in 0..<manifest.entryCount {
                var columns: [(name: String, value: String)] = []
                if case .row(.success(let row), _) = manifest.entry(at: slot).row {
                    columns = row.order.map { ($0, row.values[$0] ?? "") }
                }
                for task in expander.expand(EntryRef(manifest: index, entry: slot)).tasks { body(task, columns) }
            }
        }
    }
}
