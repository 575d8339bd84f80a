import Foundation

/// Rows printed on stdout: on a terminal, a header and aligned columns (the header bold
/// unless `NO_COLOR` is set); through a pipe, tab-separated rows without a header, stable
/// for scripts.
struct Table {
    let header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// The text to print; `terminal` decides the shape.
    func render(terminal: Bool, colour: Bool = false) -> String {
        guard !rows.isEmpty else { return "" }
        guard terminal else { return rows.map { $0.joined(separator: "\t") + "\n" }.joined() }
        var columns = Columns(header)
        for row in rows { columns.measure(row) }
        return columns.head(colour: colour) + rows.map(columns.line).joined()
    }

    /// The aligned columns of a terminal table, measured row by row: a table too big to
    /// hold (`plan` of a large batch) is read twice, once to measure and once to print.
    struct Columns {
        let header: [String]
        private var widths: [Int]

        init(_ header: [String]) {
            self.header = header
            widths = header.map(\.count)
        }

        /// Widens the columns for `row` (the last column is never padded; none past 60).
        mutating func measure(_ row: [String]) {
            if row.count > widths.count { widths += [Int](repeating: 0, count: row.count - widths.count) }
            for (index, cell) in row.enumerated() where index < widths.count - 1 { widths[index] = min(max(widths[index], cell.count), 60) }
        }

        /// A row, padded to the columns' widths, with its newline.
        func line(_ row: [String]) -> String { padded(row) + "\n" }

        /// The header line, bold with `colour`.
        func head(colour: Bool) -> String {
            let head = padded(header.map { $0.uppercased() })
            return (colour ? "\u{1B}[1m" + head + "\u{1B}[0m" : head) + "\n"
        }

        private func padded(_ row: [String]) -> String {
            row.enumerated().map { index, cell in
                index < row.count - 1 ? cell.padding(toLength: max(widths[index], cell.count), withPad: " ", startingAt: 0) : cell
            }.joined(separator: "  ")
        }
    }

    /// Prints it on stdout, shaped for where stdout goes.
    func print(colour: Bool = Terminal.colour) {
        Terminal.write(render(terminal: Terminal.standardOutputIsTerminal, colour: colour && Terminal.standardOutputIsTerminal))
    }
}

import ArgumentParser

/// How tables look: `--color auto|always|never` (auto: on a terminal, unless `NO_COLOR`).
struct OutputOptions: ParsableArguments {
    enum Colour: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    @Option(name: .customLong("color"), help: "Colour in tables: auto (on a terminal, unless NO_COLOR is set), always, never.")
    var color: Colour = .auto

    var colour: Bool {
        switch color {
        case .auto: return Terminal.colour
        case .always: return true
        case .never: return false
        }
    }
}
