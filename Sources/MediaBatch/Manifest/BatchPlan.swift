/// The manifests of one invocation, validated together: every entry expanded once to find
/// all problems and clashing output paths before anything is sent. Running expands the
/// entries again, lazily, one entry at a time (`makeIterator`), so memory does not grow
/// with the size of the batch.
public final class BatchPlan: Sendable {
    public let manifests: [ManifestFile]
    /// Number of concrete tasks after expansion.
    public let taskCount: Int

    /// Loads `paths` (manifest files, or folders whose `*.json`/`*.jsonl` files are taken in
    /// name order) and validates everything. Throws every problem found, at once.
    /// `visit` sees every task of the validation pass (for `plan`, which then needs no
    /// second pass); what it saw is only meaningful when no error is thrown.
    public init(
        paths: [String], outputRoot: String, defaultsFile: String? = nil, visit: ((MediaTask) -> Void)? = nil
    ) throws(ManifestError) {
        var files: [String] = []
        var issues: [ManifestIssue] = []
        for path in paths {
            if FileIO.isDirectory(path) {
                do {
                    let names = try FileIO.listFolder(path).filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") || $0.hasSuffix(".ndjson") }
                    if names.isEmpty { issues.append(ManifestIssue(file: path, line: nil, field: "", value: nil, message: "folder holds no .json or .jsonl manifest")) }
                    files += names.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
                } catch {
                    issues.append(ManifestIssue(file: path, line: nil, field: "", value: nil, message: error.description))
                }
            } else {
                files.append(path)
            }
        }
        var manifests: [ManifestFile] = []
        for file in files {
            do { manifests.append(try ManifestFile(path: file, outputRoot: outputRoot, defaultsFile: defaultsFile)) } catch {
                issues += error.issues
            }
        }

        var claimed: [String: (id: String, origin: String)] = [:]
        var count = 0
        for manifest in manifests {
            issues += manifest.headerIssues
            let collector = manifest.makeIssueCollector()
            let expander = TaskExpander(header: manifest.header)
            for index in 0..<manifest.entryCount {
                let entry = manifest.entry(at: index)
                let value: JSON
                switch entry.value {
                case .success(let json): value = json
                case .failure(let error):
                    collector.add(ManifestIssue(file: manifest.path, line: error.line, field: "", value: nil, message: "invalid JSON (column \(error.column)): \(error.message)"))
                    continue
                }
                let tasks = expander.expand(value, path: entry.path, line: entry.line, ordinal: index + 1, issues: collector)
                for task in tasks {
                    visit?(task)
                    let key = task.outputKey
                    if let other = claimed[key] {
                        collector.add(entry.path.appending("output"), line: entry.line, value: .string(key),
                                      "task \(task.id) would write the same file as task \(other.id) (\(other.origin)); give them different ids or output names")
                    } else {
                        claimed[key] = (task.id, task.origin.description)
                    }
                }
                count += tasks.count
            }
            issues += collector.issues
        }
        if !issues.isEmpty { throw ManifestError(issues: issues) }
        self.manifests = manifests
        self.taskCount = count
    }

    /// A fresh pass over all tasks in manifest order.
    public func makeIterator() -> TaskIterator { TaskIterator(manifests: manifests) }

    /// Every task, in order (for `plan` and tests; `run` iterates lazily).
    public func allTasks() -> [MediaTask] {
        var iterator = makeIterator()
        var tasks: [MediaTask] = []
        while let task = iterator.next() { tasks.append(task) }
        return tasks
    }
}

/// Walks a plan's tasks lazily: expands one entry at a time.
public struct TaskIterator: IteratorProtocol {
    private let manifests: [ManifestFile]
    private var manifestIndex = 0
    private var entryIndex = 0
    private var pending: [MediaTask] = []
    private var pendingIndex = 0

    init(manifests: [ManifestFile]) { self.manifests = manifests }

    public mutating func next() -> MediaTask? {
        while pendingIndex >= pending.count {
            guard manifestIndex < manifests.count else { return nil }
            let manifest = manifests[manifestIndex]
            guard entryIndex < manifest.entryCount else {
                manifestIndex += 1
                entryIndex = 0
                continue
            }
            let entry = manifest.entry(at: entryIndex)
            entryIndex += 1
            guard case .success(let value) = entry.value else { continue }
            pending = TaskExpander(header: manifest.header).expand(
                value, path: entry.path, line: entry.line, ordinal: entryIndex, issues: manifest.makeIssueCollector())
            pendingIndex = 0
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }
}

extension MediaTask {
    /// The manifest output folder the task writes into (its journal's folder).
    var outputFolder: String { output.folder }

    /// The output path without extension, unique across a plan.
    var outputKey: String { output.folder + "/" + output.baseName }
}
