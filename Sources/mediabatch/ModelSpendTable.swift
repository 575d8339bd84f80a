import Reports

/// The closing table of estimate against spend per model, so a user learns how far to
/// trust `plan`'s figures.
enum ModelSpendTable {
    static func lines(_ models: [String: ModelSpend]) -> [String] {
        guard !models.isEmpty else { return [] }
        let width = min(44, max(5, models.keys.map(\.count).max() ?? 0))
        func row(_ model: String, _ estimate: String, _ spent: String) -> String {
            let name = String(model.suffix(width))
            return name + String(repeating: " ", count: width - name.count) + " " + pad(estimate) + " " + pad(spent)
        }
        var lines = [row("model", "estimated", "spent")]
        for (model, spend) in models.sorted(by: { $0.key < $1.key }) {
            lines.append(row(model, spend.estimated.map(Terminal.dollars) ?? "unknown", Terminal.dollars(spend.spent)))
        }
        return lines
    }

    /// Right-aligned in ten columns.
    private static func pad(_ text: String) -> String { String(repeating: " ", count: max(0, 10 - text.count)) + text }
}
