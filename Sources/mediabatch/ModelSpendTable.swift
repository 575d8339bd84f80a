import Foundation
import Reports

/// The closing table of estimate against spend per model, so a user learns how far to
/// trust `plan`'s figures.
enum ModelSpendTable {
    static func lines(_ models: [String: ModelSpend]) -> [String] {
        guard !models.isEmpty else { return [] }
        var lines = [String(format: "%-44@ %10@ %10@", "model" as NSString, "estimated" as NSString, "spent" as NSString)]
        for (model, spend) in models.sorted(by: { $0.key < $1.key }) {
            let estimate = spend.estimated.map(Terminal.dollars) ?? "unknown"
            lines.append(String(format: "%-44@ %10@ %10@", String(model.suffix(44)) as NSString, estimate as NSString, Terminal.dollars(spend.spent) as NSString))
        }
        return lines
    }
}
