import Support

/// The column names the rows of one source have shown as they were decoded, for a source
/// whose rows each name their own (JSONL, inline rows): validation decodes every row, so
/// the names in order (the columns of `results.csv`) are known without decoding the rows
/// once more. Rows are decoded on two threads in any order; the names come out in the
/// order they first appear among the rows all the same.
package final class RowColumnsSeen: Sendable {
    private struct State {
        /// Each name's first place: its row (0-based) and its position among that row's columns.
        var first: [String: (row: Int, position: Int)] = [:]
        /// One bit per row: whether its columns are counted.
        var counted: [UInt64]
        var uncounted: Int
        /// The columns last counted, and their row: a later row with the same columns (most
        /// rows have those of their neighbours) places no name earlier, and is not looked at.
        var last: (columns: [String], row: Int) = ([], -1)

        func isCounted(_ row: Int) -> Bool { counted[row / 64] & (1 << UInt64(row % 64)) != 0 }
    }

    private let state: Locked<State>
    private let rows: Int

    package init(rows: Int) {
        self.rows = rows
        state = Locked(State(counted: Array(repeating: 0, count: (rows + 63) / 64), uncounted: rows))
    }

    /// Counts the columns of row `index` (none for a row that could not be read); a row
    /// decoded again (the run expands entries again) is counted once.
    package func record(row index: Int, columns: [String]) {
        state.withLock { state in
            guard !state.isCounted(index) else { return }
            state.counted[index / 64] |= 1 << UInt64(index % 64)
            state.uncounted -= 1
            if state.last.row < index, state.last.columns == columns { return }
            state.last = (columns, index)
            for (position, name) in columns.enumerated() {
                if let known = state.first[name], (known.row, known.position) < (index, position) { continue }
                state.first[name] = (index, position)
            }
        }
    }

    /// The names in the order they first appear among the rows; the rows not counted yet
    /// are decoded by `columns` (of row index) first.
    package func names(decoding columns: (Int) -> [String]) -> [String] {
        let missing: [Int] = state.withLock { state in
            guard state.uncounted > 0 else { return [] }
            return (0..<rows).filter { !state.isCounted($0) }
        }
        for index in missing { record(row: index, columns: columns(index)) }
        return state.withLock { state in
            state.first.sorted { ($0.value.row, $0.value.position) < ($1.value.row, $1.value.position) }.map(\.key)
        }
    }
}
