import ArgumentParser
import Glibc

/// The `mediabatch` command: dispatches to its subcommands; the work lives in the library.
/// Its `main` is the one place where a command's failure becomes a message and an exit code.
@main
struct MediaBatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediabatch",
        abstract: "Batch image and speech generation through OpenRouter, from manifest files.",
        discussion: """
            Example:
              export OPENROUTER_API_KEY=sk-or-...
              mediabatch plan jobs/
              mediabatch run jobs/ --concurrency 8
            """,
        version: MediaBatchCommand.version,
        subcommands: [
            RunCommand.self, ValidateCommand.self, PlanCommand.self, StatusCommand.self, GCCommand.self, ModelsCommand.self, ConfigCommand.self,
        ])

    /// The release, printed by `--version` (bump it with each tagged release).
    static let version = "0.16.0"

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            let (message, code) = failure.report
            if let message { Terminal.error(message) }
            Glibc.exit(code)
        } catch {
            // Usage errors, --help, ExitCode: argument-parser's own handling.
            exit(withError: error)
        }
    }
}
