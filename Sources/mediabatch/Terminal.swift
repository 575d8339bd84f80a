import Foundation
import ManifestDiagnostics
import Support

/// Everything the command prints goes through here: messages on stderr, results on stdout.
/// Each call's text goes out whole: one lock for both streams, so a line from one thread
/// (a trace line, a warning) never lands inside another's, even when the kernel takes a
/// long write in pieces.
enum Terminal {
    /// Counts the writes; its lock keeps them whole. (Not `Locked(())`: ThreadSanitizer files
    /// an access to a zero-sized state at the object's start, and reports a false race.)
    private static let writing = Locked(0)

    /// Tells each of `warnings` on stderr, one `warning:` line each: what every command says
    /// of a plan it loaded or validated.
    static func warn(_ warnings: [ManifestIssue]) {
        for warning in warnings { error("warning: \(warning)") }
    }

    static func error(_ message: String) { standardError("mediabatch: " + message.replacingOccurrences(of: "\n", with: "\nmediabatch: ")) }

    static func standardError(_ line: String) {
        put(line + "\n", to: .standardError)
    }

    /// Text to stderr as it is (for the live progress line).
    static func standardErrorRaw(_ text: String) {
        put(text, to: .standardError)
    }

    static func output(_ line: String) {
        put(line + "\n", to: .standardOutput)
    }

    /// Text to stdout as it is (no newline added).
    static func write(_ text: String) {
        put(text, to: .standardOutput)
    }

    private static func put(_ text: String, to stream: FileHandle) {
        writing.withLock { count in
            count += 1
            stream.write(Data(text.utf8))
        }
    }

    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    /// Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org).
    static var colour: Bool { standardOutputIsTerminal && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty }

    /// Money in text: four decimals, one format everywhere (`$0.0390`, `$12.3456`).
    static func dollars(_ amount: Double) -> String {
        // Digits by hand: `plan` prints one per task, and Foundation's formatting of 100,000
        // of them is a tenth of a second. (Far outside any price, it formats as before.)
        guard amount.isFinite, abs(amount) < 1e12 else { return String(format: "$%.4f", amount) }
        let tenThousandths = Int64((abs(amount) * 10_000).rounded())
        let fraction = String(tenThousandths % 10_000)
        return (amount < 0 && tenThousandths > 0 ? "-$" : "$") + String(tenThousandths / 10_000) + "."
            + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    /// A unit price, in plain decimals however small (`$0.0000008/char`, never `$8e-07/char`):
    /// three significant digits, no trailing zeros (`$0.039/image`).
    static func price(_ amount: Double, per unit: String) -> String {
        guard amount > 0, amount.isFinite else { return "$0/\(unit)" }
        let decimals = max(0, min(15, 2 - Int(log10(amount).rounded(.down))))
        var text = String(format: "%.\(decimals)f", amount)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return "$" + text + "/" + unit
    }
}
