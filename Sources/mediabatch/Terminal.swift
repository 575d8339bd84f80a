import Foundation
import Support

/// Everything the command prints goes through here: messages on stderr, results on stdout.
/// Each call's text goes out whole: one lock for both streams, so a line from one thread
/// (a trace line, a warning) never lands inside another's, even when the kernel takes a
/// long write in pieces.
enum Terminal {
    /// Counts the writes; its lock keeps them whole. (Not `Locked(())`: ThreadSanitizer files
    /// an access to a zero-sized state at the object's start, and reports a false race.)
    private static let writing = Locked(0)

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

    /// `12.3456` → `$12.35`; tiny amounts keep more digits.
    static func dollars(_ amount: Double) -> String {
        amount < 1 ? String(format: "$%.4f", amount) : String(format: "$%.2f", amount)
    }
}
