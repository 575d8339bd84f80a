import ArgumentParser
import MediaBatch

/// The `mediabatch` command: dispatches to its subcommands; the work lives in the library.
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
        subcommands: [RunCommand.self, ValidateCommand.self, PlanCommand.self, StatusCommand.self, ModelsCommand.self, ConfigCommand.self])
}
