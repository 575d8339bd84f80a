import Dispatch
import Files
import JSON
import ManifestDiagnostics
import Support
import Tasks


/// The manifests of one invocation, validated together: every entry is expanded once to find
/// all problems and clashing output paths before anything is sent. The same pass hands each
/// task to the planner (`validate(visit:)`), which decides its fate as it comes, and running
/// then expands only the entries to run again, lazily, one at a time. What validation keeps
/// of a task is a few bytes (`OutputClaims`, `TaskChains`), never the task.
public final class BatchPlan: Sendable {
    public let manifests: [ManifestFile]
    /// OpenRouter's model lists, when cached: used for checks and choices while expanding.
    public let catalog: ModelCatalog?
    public let limits: ManifestLimits
    private let loadIssues: [ManifestIssue]
    /// Things worth telling that do not stop the plan (an optional pattern that matched nothing).
    public var warnings: [ManifestIssue] { notes + manifests.flatMap(\.warnings) }
    private let notes: [ManifestIssue]
    private let state = Locked<(taskCount: Int, validated: Bool)>((0, false))
    private let chainState = Locked(TaskChains())
    private let expansionWarnings = Locked<[ManifestIssue]>([])
    /// Check task references (`@id`) against the plan's tasks; off when a manifest is checked
    /// alone and its producers may be in another (`run --keep-going`).
    private let checksReferences: Bool

    /// The batch's task references (`@id`), checked, dependents in an order where
    /// producers come first (known once validated).
    public var chains: TaskChains { chainState.withLock { $0 } }
    /// What validation found probably not meant in the tasks themselves (a script line whose
    /// speaker the script does not name), told apart from `warnings`, which loading finds.
    public var validationWarnings: [ManifestIssue] { expansionWarnings.withLock { $0 } }

    /// A task entry of a manifest: which file, which entry.
    public struct EntryRef: Sendable, Hashable {
        public let manifest: Int
        public let entry: Int
    }

    /// Loads `paths` (manifest files, or folders whose `*.json`/`*.jsonl` files are taken in
    /// name order) and validates everything. Throws every problem found, at once. `visit`
    /// sees every task of the validation pass; what it saw counts only when nothing is thrown.
    /// `checksReferences` false leaves `@id` references unchecked (see `chains`).
    public convenience init(
        paths: [String], outputRoot: String, defaultsFile: String? = nil, catalog: ModelCatalog? = nil,
        limits: ManifestLimits = ManifestLimits(), context: ManifestContext = ManifestContext(), checksReferences: Bool = true,
        visit: ((MediaTask) -> Void)? = nil
    ) throws(ManifestError) {
        self.init(
            loading: paths, outputRoot: outputRoot, defaultsFile: defaultsFile, catalog: catalog, limits: limits, context: context,
            checksReferences: checksReferences)
        try validate { task, _, _ in visit?(task) }
    }

    /// Reads the manifests and their headers only; `validate` must run before the plan is used.
    public init(
        loading paths: [String], outputRoot: String, defaultsFile: String? = nil, catalog: ModelCatalog? = nil,
        limits: ManifestLimits = ManifestLimits(), context: ManifestContext = ManifestContext(), checksReferences: Bool = true
    ) {
        self.checksReferences = checksReferences
        self.catalog = catalog
        self.limits = limits
        var (files, issues, notes) = ManifestPaths.files(paths)
        self.notes = notes
        var manifests: [ManifestFile] = []
        var base = JSONObject()
        if let defaultsFile {
            do { base = try ManifestFile.loadDefaults(defaultsFile) } catch {
                issues += error.issues
                files = []  // every manifest would inherit the broken header: one error says it
            }
        }
        for file in files {
            do { manifests.append(try ManifestFile(path: file, outputRoot: outputRoot, base: base, maxBytes: limits.maxFileBytes, context: context)) } catch {
                issues += error.issues
            }
        }
        self.manifests = manifests
        loadIssues = issues + manifests.flatMap(\.headerIssues)
    }

    /// Number of concrete tasks after expansion (known once validated).
    public var taskCount: Int { state.withLock { $0.taskCount } }

    /// Expands every entry, checks everything, and throws every problem at once. `visit`
    /// sees each task with its entry and its place among the entry's tasks (0-based), in
    /// manifest order on the calling thread.
    ///
    /// Entries are parsed and expanded in blocks on two other threads (`ValidationBlocks`)
    /// while the calling thread visits the blocks already done, in order: the checks that
    /// span entries (output paths claimed twice, the task limit) happen there, so problems
    /// are reported exactly as one pass in order would report them.
    public func validate(visit: (MediaTask, EntryRef, Int) -> Void) throws(ManifestError) {
        try validate(identify: nil) { task, _, entry, ordinal in visit(task, entry, ordinal) }
    }

    /// `validate(visit:)`, with each task's identity computed by `identify` on the threads
    /// that expand the entries (it hashes the request: work worth sharing between cores),
    /// and handed to `visit` with the task.
    public func validate(
        identify: (@Sendable (MediaTask) -> TaskIdentity)?, visit: (MediaTask, TaskIdentity?, EntryRef, Int) -> Void
    ) throws(ManifestError) {
        var issues = loadIssues
        var claims = OutputClaims(capacity: manifests.reduce(0) { $0 + $1.entryCount })
        // A task that claimed a path, expanded again: a clash's message names it.
        var again = EntryExpander(manifests: manifests, catalog: catalog)
        var lastAgain: (ref: EntryRef, tasks: [MediaTask])?  // one entry's tasks clashing with each other: expanded once
        func claimant(_ claim: OutputClaims.Claim) -> (id: String, key: String)? {
            if lastAgain?.ref != claim.ref { lastAgain = (claim.ref, again.expand(claim.ref, keepingTasksWithIssues: true).tasks) }
            let tasks = lastAgain!.tasks
            let ordinal = Int(claim.ordinal)
            return ordinal < tasks.count ? (tasks[ordinal].id, tasks[ordinal].outputKey) : nil
        }
        // The books (`book: true`) by the path of their file, folded the same way: one entry's
        // chapters share their book; no other entry's book or task may write it.
        // A `textFile` pattern makes one entry per file, all at the same place of the manifest.
        var books: [String: (id: String, album: String, ref: EntryRef, owner: String)] = [:]
        var clashingBooks = Set<String>()
        var count = 0
        var reported = Set<ManifestIssue>()
        var warnings: [ManifestIssue] = []
        var chains = TaskChains()
        chains.reserveCapacity(manifests.reduce(0) { $0 + $1.entryCount })
        let blocks = ValidationBlocks(plan: self, identify: identify)
        defer { blocks.finish() }
        // Expanded tasks are freed off this thread, which is the one every task passes
        // through: freeing 100,000 of them is a good part of its work.
        let freeing = DispatchQueue(label: "mediabatch.validation.free", qos: .utility)
        defer { freeing.sync {} }
        consuming: while var block = blocks.next() {
            defer {
                let done = block
                block = []
                freeing.async { withExtendedLifetime(done) {} }
            }
            for entry in block {
                var entryIssues = entry.issues
                for (ordinal, task) in entry.tasks.enumerated() {
                    visit(task, entry.identities.isEmpty ? nil : entry.identities[ordinal], entry.ref, ordinal)
                    chains.record(task, ref: entry.ref, ordinal: ordinal, entryPath: entry.path, line: entry.line)
                    let key = task.outputKey
                    if let other = claims.claim(key, by: OutputClaims.Claim(entry.ref, ordinal: ordinal), task: claimant) {
                        let same = other.key == key ? "the same file as" : "a file differing only in case from that of"
                        let owner = other.confirmed ? "task \(other.id)" : "another task (its inputs changed while the plan was checked)"
                        entryIssues.append(entry.issue(at: entry.path.appending("output"), value: JSON.string(key),
                            "task \(task.id) (\(location(of: task, in: entry))) would write \(other.confirmed ? same : "the file of") \(owner) (\(location(of: other.claim.ref))); give them different ids or output names"))
                    }
                    if !books.isEmpty, let book = books[OutputClaims.folded(key)] {
                        let output = entry.path.appending("output")
                        let field = entry.line != nil || entry.manifest.line(of: output) != nil ? output : entry.path.appending("id")
                        entryIssues.append(entry.issue(at: field, value: JSON.string(key),
                            "task \(task.id) (\(location(of: task, in: entry))) would write the file of the book \"\(book.album)\" of task \(book.id) (\(location(of: book.ref))); give them different ids, output names or albums"))
                    }
                    if case .speech(let speech) = task, let chapter = speech.chapter, let target = chapter.book {
                        let bookPath = target.folder + "/" + target.baseName
                        let bookKey = OutputClaims.folded(bookPath)
                        let field = bookField(of: entry)
                        let owner = "\(entry.ref.manifest) \(entry.path)"
                        if let other = books[bookKey], other.owner != owner {
                            // Told once for the entry, not for each of its chapters.
                            if clashingBooks.insert(owner).inserted {
                                entryIssues.append(entry.issue(at: field, value: JSON.string(chapter.album),
                                    "the book \"\(chapter.album)\" of task \(task.id) (\(location(of: task, in: entry))) would be written to the same file as the book of task \(other.id) (\(location(of: other.ref))); give each book its own album"))
                            }
                        } else if books[bookKey] == nil {
                            books[bookKey] = (task.id, chapter.album, entry.ref, owner)
                            if let other = claims.claimant(of: bookPath, task: claimant) {
                                entryIssues.append(entry.issue(at: field, value: JSON.string(chapter.album),
                                    "the book \"\(chapter.album)\" of task \(task.id) (\(location(of: task, in: entry))) would be written to the file of \(other.confirmed ? "task \(other.id)" : "another task") (\(location(of: other.claim.ref))); give them different albums, ids or output names"))
                            }
                        }
                    }
                }
                count += entry.tasks.count
                // A problem met again in a later block (a bad default) is told once.
                for issue in entryIssues where reported.insert(issue).inserted { issues.append(issue) }
                for warning in entry.warnings where reported.insert(warning).inserted { warnings.append(warning) }
                if count > limits.maxTasks {
                    // Past the limit nothing more is expanded: the point is not to.
                    issues.append(entry.issue(at: entry.path, value: JSON?.none,
                        "the batch expands to more than \(limits.maxTasks) tasks by this entry, the limit for one run; split the batch over several runs (or --shard) or raise the limit with --max-tasks"))
                    break consuming
                }
            }
        }
        // References are checked once every task of every manifest is known.
        if count <= limits.maxTasks && checksReferences { issues += chains.check(manifests: manifests) }
        if !issues.isEmpty { throw ManifestError(issues: issues) }
        state.withLock { $0 = (count, true) }
        expansionWarnings.withLock { [warnings] in $0 = warnings }
        chainState.withLock { [chains] in $0 = chains }
    }

    /// Where a book's problem is told: the entry's `album` when it has one, else its `book`.
    private func bookField(of entry: ExpandedEntry) -> FieldPath {
        let album = entry.path.appending("album")
        return entry.line != nil || entry.manifest.line(of: album) != nil ? album : entry.path.appending("book")
    }

    /// `file:line` of a task slot, for messages.
    private func location(of ref: EntryRef) -> String {
        let manifest = manifests[ref.manifest]
        let entry = manifest.entry(at: ref.entry)
        if case .row(.success(let row), _) = entry.row, row.line != nil, row.inlinePath == nil { return row.location }
        let line = entry.line ?? manifest.line(of: entry.path)
        return line.map { "\(manifest.path):\($0)" } ?? manifest.path
    }

    private func location(of task: MediaTask, in entry: ExpandedEntry) -> String {
        task.origin.line != nil ? task.origin.description : location(of: entry.ref)
    }

    /// One entry checked and expanded: its tasks, or the problems that kept it from them.
    struct ExpandedEntry: Sendable {
        let ref: EntryRef
        let path: FieldPath
        let line: Int?
        let manifest: ManifestFile
        let tasks: [MediaTask]
        /// Each task's identity, when validation was asked to compute them.
        let identities: [TaskIdentity]
        let issues: [ManifestIssue]
        let warnings: [ManifestIssue]

        /// A problem of this entry found after expansion, located by its JSONL line or else
        /// in the manifest's text (rare, so without a bookmark).
        func issue(at path: FieldPath, value: JSON?, _ message: String) -> ManifestIssue {
            ManifestIssue(
                file: manifest.path, line: line ?? manifest.line(of: path), field: path.description, value: value?.excerpt(), message: message)
        }
    }

    /// Parses, scans and expands entries `range` of manifest `index` (on a worker thread).
    func expandBlock(
        manifest index: Int, entries range: Range<Int>, expander: TaskExpander, identify: (@Sendable (MediaTask) -> TaskIdentity)?
    ) -> [ExpandedEntry] {
        let manifest = manifests[index]
        let collector = manifest.makeIssueCollector()
        var out: [ExpandedEntry] = []
        out.reserveCapacity(range.count)
        for slot in range {
            let entry = manifest.entry(at: slot)
            let before = collector.issues.count
            let warningsBefore = collector.warnings.count
            var tasks: [MediaTask] = []
            var rowIssues: [ManifestIssue] = []
            var rowWarnings: [ManifestIssue] = []
            switch entry.value {
            case .failure(let error):
                // A line with rows stands for several slots: its parse error is told once.
                if entry.row.isFirst {
                    collector.add(ManifestIssue(file: manifest.path, line: error.line, field: "", value: nil, message: "invalid JSON (column \(error.column)): \(error.message)"))
                }
            case .success(let value) where APIKeyScan.contains(value):
                collector.add(entry.path, line: entry.line, APIKeyScan.message)
            case .success(let value):
                switch entry.row {
                case .none:
                    tasks = expander.expand(value, path: entry.path, line: entry.line, ordinal: entry.index + 1, issues: collector)
                case .failed:
                    break  // the rows could not be read: reported at load
                case .row(.failure(let problem), _):
                    rowIssues = [problem.issue]
                case .row(.success(let row), _):
                    (tasks, rowIssues, rowWarnings) = expandRow(row, value: value, entry: entry, manifest: manifest, expander: expander)
                }
            }
            out.append(ExpandedEntry(
                ref: EntryRef(manifest: index, entry: slot), path: entry.path, line: entry.line, manifest: manifest, tasks: tasks,
                identities: identify.map { tasks.map($0) } ?? [], issues: Array(collector.issues[before...]) + rowIssues,
                warnings: Array(collector.warnings[warningsBefore...]) + rowWarnings))
        }
        return out
    }

    /// Expands one row of an entry with its own collector (the same problem in two rows is
    /// two problems) and moves the problems to the row.
    func expandRow(
        _ row: Row, value: JSON, entry: (value: Result<JSON, JSONParseError>, path: FieldPath, line: Int?, row: RowSlot, index: Int),
        manifest: ManifestFile, expander: TaskExpander
    ) -> ([MediaTask], [ManifestIssue], [ManifestIssue]) {
        let collector = manifest.makeIssueCollector()
        let tasks = expander.expand(value, path: entry.path, line: entry.line, ordinal: entry.index + 1, issues: collector, row: row)
        let object = value.objectValue ?? [:]
        let issues = collector.issues.map { RowIssues.relocate($0, row: row, object: object, entryPath: entry.path, header: manifest.header) }
        return (issues.isEmpty ? tasks : [], issues, collector.warnings)
    }

    /// Expands entries again after validation, one at a time (see `EntryExpander`).
    public func makeExpander() -> EntryExpander {
        precondition(state.withLock { $0.validated }, "validate a plan before running it")
        return EntryExpander(manifests: manifests, catalog: catalog)
    }

    /// Every task, in order (for `plan` and tests; `run` expands entry by entry).
    public func allTasks() -> [MediaTask] {
        var expander = makeExpander()
        var tasks: [MediaTask] = []
        for manifest in manifests.indices {
            for entry in 0..<manifests[manifest].entryCount {
                tasks += expander.expand(EntryRef(manifest: manifest, entry: entry)).tasks
            }
        }
        return tasks
    }
}

/// Expands single entries of a validated plan again, as a run needs them, so that memory
/// does not grow with the batch. Keeps one `TaskExpander` per manifest from entry to entry.
/// An entry that no longer expands as it did (a text file vanished since validation) comes
/// back with its problems instead of its tasks.
public struct EntryExpander {
    private let manifests: [ManifestFile]
    private let catalog: ModelCatalog?
    private var current: (manifest: Int, expander: TaskExpander)?

    init(manifests: [ManifestFile], catalog: ModelCatalog?) {
        self.manifests = manifests
        self.catalog = catalog
    }

    /// The tasks of one entry in order, and the problems met expanding it (none for an entry
    /// whose inputs are as they were at validation).
    /// `keepingTasksWithIssues`: the tasks an entry with problems still made (to name them).
    public mutating func expand(_ ref: BatchPlan.EntryRef, keepingTasksWithIssues: Bool = false) -> (tasks: [MediaTask], issues: [ManifestIssue]) {
        let manifest = manifests[ref.manifest]
        let entry = manifest.entry(at: ref.entry)
        guard case .success(let value) = entry.value else { return ([], []) }
        if current?.manifest != ref.manifest {
            current = (ref.manifest, TaskExpander(header: manifest.header, catalog: catalog))
        }
        let collector = manifest.makeIssueCollector()
        var tasks: [MediaTask]
        switch entry.row {
        case .none: tasks = current!.expander.expand(value, path: entry.path, line: entry.line, ordinal: entry.index + 1, issues: collector)
        case .row(.success(let row), _): tasks = current!.expander.expand(value, path: entry.path, line: entry.line, ordinal: entry.index + 1, issues: collector, row: row)
        case .row(.failure(let problem), _): return ([], [problem.issue])
        case .failed: tasks = []
        }
        return collector.issues.isEmpty || keepingTasksWithIssues ? (tasks, collector.issues) : ([], collector.issues)
    }
}

extension MediaTask {
    /// The manifest output folder the task writes into (its journal's folder).
    package var outputFolder: String { output.folder }

    /// The output path without extension, unique across a plan.
    package var outputKey: String { output.folder + "/" + output.baseName }
}
