import ArgumentParser


/// `mediabatch validate`: checks manifests and reports every problem; sends nothing.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests and report every problem at once. Sends nothing.",
        discussion: "Example: mediabatch validate jobs/product-shots.json")

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Fetch OpenRouter's model lists first (for stricter checks and prices).")
    var refreshModels = false

    func run() throws {
        let plan = try manifest.loadPlan(catalog: try manifest.catalog(refresh: refreshModels, connection), configRoots: connection.configuredInputRoots)
        Terminal.standardError("ok: \(plan.manifests.count) manifest\(plan.manifests.count == 1 ? "" : "s"), \(plan.taskCount) task\(plan.taskCount == 1 ? "" : "s")")
    }
}
