
import ArgumentParser
import Files
import HTTP
import JSON
import Journal
import OpenRouter
import Runner
import Support

/// `mediabatch status`: what the journals in an output folder say, task by task.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show done, failed, kept and unfinished tasks from an output folder's journals.",
        discussion: "Example: mediabatch status output/product-shots --credits")

    @Argument(help: "A manifest's output folder (the one holding .mediabatch/).")
    var folder: String

    @Flag(help: "List every task, not only failures, kept and unfinished ones.")
    var all = false

    @Flag(help: "Also ask OpenRouter how much credit the key has left (GET /key).")
    var credits = false

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let journalFolder = folder + "/.mediabatch"
        let names: [String]
        do { names = try FileIO.listFolder(journalFolder).filter { $0.hasPrefix("journal") && $0.hasSuffix(".jsonl") } } catch {
            throw CommandFailure.data("no journal in \(folder) (\(error.reason))")
        }
        var done = 0, failed = 0, refused = 0, kept = 0, unfinished = 0, cost = 0.0
        for name in names {
            let index: JournalIndex
            do { index = try JournalIndex(path: journalFolder + "/" + name) } catch {
                throw CommandFailure.data(error.description)
            }
            cost += index.spent
            for key in index.order {
                if let record = index.kept[key] {
                    // Not run, so as not to overwrite a file (what it cost before is in `spent`).
                    kept += 1
                    let files = record.files.map { "\($0.path) (\($0.reason == .changed ? "changed since written" : "not written by mediabatch"))" }
                    Terminal.output("kept\t\(record.taskID)\t\(files.joined(separator: ", "))\t\(record.time ?? "")")
                    continue
                }
                guard let entry = index.entries[key] else { continue }
                switch entry.state {
                case .done:
                    done += 1
                    if all { Terminal.output("done\t\(entry.taskID)\t\(entry.files.map(\.path).joined(separator: ","))") }
                case .failed where entry.kind == "refused":
                    refused += 1
                    Terminal.output("refused\t\(entry.taskID)\t\(entry.message ?? "")\t\(entry.time ?? "")")
                case .failed:
                    failed += 1
                    let status = entry.status.map { "HTTP \($0): " } ?? ""
                    Terminal.output("failed\t\(entry.taskID)\t\(entry.kind ?? "?")\t\(status)\(entry.message ?? "")\t\(entry.time ?? "")")
                case .started:
                    unfinished += 1
                    Terminal.output("unfinished\t\(entry.taskID)\tattempt \(entry.attempts) started \(entry.time ?? "") and never ended")
                }
            }
            if index.skippedLines > 0 { Terminal.standardError("\(name): \(index.skippedLines) torn line\(index.skippedLines == 1 ? "" : "s") skipped") }
        }
        Terminal.standardError("\(done) done, \(failed) failed, \(refused) refused, \(kept > 0 ? "\(kept) kept, " : "")\(unfinished) unfinished, spent \(Terminal.dollars(cost))")
        if credits { try showCredits() }
    }

    /// `GET /key`: the credit left on the key, worth knowing before a rerun.
    private func showCredits() throws {
        MediaBatchRuntime.start()
        let endpoint = try connection.endpoints(try connection.loadConfiguration()).image
        let status: OpenRouterClient.KeyStatus
        do { status = try OpenRouterClient(endpoint: endpoint).keyStatus(on: try HTTPConnection(trace: connection.trace(for: [endpoint]))) } catch {
            throw CommandFailure.unavailable("cannot read the key's credit from \(endpoint.baseURL)/key (\(error))")
        }
        Terminal.standardError("credit left on the key: \(status.limitRemaining.map { Terminal.dollars($0) } ?? "no limit set")")
    }
}
