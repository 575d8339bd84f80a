import Foundation

/// Everything the command prints goes through here: messages on stderr, results on stdout.
enum Terminal {
    static func error(_ message: String) { standardError("mediabatch: " + message.replacingOccurrences(of: "\n", with: "\nmediabatch: ")) }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Text to stderr as it is (for the live progress line).
    static func standardErrorRaw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Text to stdout as it is (no newline added).
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// `12.3456` → `$12.35`; tiny amounts keep more digits.
    static func dollars(_ amount: Double) -> String {
        amount < 1 ? String(format: "$%.4f", amount) : String(format: "$%.2f", amount)
    }
}
