import JSON
import ManifestDiagnostics
import Tasks

/// Which tasks of a batch take another task's output (`@id`, `@id#n`) and from whom,
/// checked once every task of every manifest is known: a reference to an id no task has,
/// to an id two tasks share, to a task that makes no image, or one that closes a cycle is a
/// validation error naming the dependent's file, line and field and the producer's id (or
/// the cycle). Validation records every task here (`record`); the planner then asks for
/// the dependents in an order where producers come first, and for a producer's place.
///
/// Every task is remembered by its id's hash with its place (a few bytes, not its strings),
/// so a batch without references pays next to nothing; the dependents, rare, are kept whole.
public struct TaskChains: Sendable {
    /// Where a task of the batch is, and what a reference to it needs to know.
    public struct Slot: Sendable {
        public let ref: BatchPlan.EntryRef
        /// Its place among its entry's tasks (0-based).
        public let ordinal: Int
        public let makesImages: Bool
        /// A video task (its output cannot be a reference image either).
        public let makesVideo: Bool
        /// Images one request asks for (`n` on /images): `@id#n` may name up to this many.
        public let imagesPerRequest: Int
        /// More than one task of the batch has this id: a reference to it is ambiguous.
        public fileprivate(set) var shared = false
    }

    /// A task that takes another's output.
    public struct Dependent: Sendable {
        public let id: String
        public let ref: BatchPlan.EntryRef
        public let ordinal: Int
        public let references: [TaskReference]
        /// For messages: the task's manifest, line and its entry's field path.
        let file: String
        let line: Int?
        let entryPath: FieldPath
        let manifest: Int
    }

    /// Every task's id hash and place, in validation order: appended (cheap for a batch of a
    /// million tasks), made into `slots` only when some task has a reference.
    private var hashes: [Int] = []
    private var places: [Place] = []
    private var slots: [Int: Slot] = [:]
    /// A task's place, small: a batch holds a million of them.
    private struct Place: Sendable {
        let manifest: Int32
        let entry: Int32
        let ordinal: Int32
        let imagesPerRequest: Int32
        let makesImages: Bool
        let makesVideo: Bool
    }
    /// In manifest order until `check` puts producers first.
    public private(set) var dependents: [Dependent] = []

    public init() {}

    /// No task of the batch takes another's output.
    public var isEmpty: Bool { dependents.isEmpty }

    /// Room for `tasks` tasks (one per slot, most often): the records grow without copies.
    mutating func reserveCapacity(_ tasks: Int) {
        hashes.reserveCapacity(tasks)
        places.reserveCapacity(tasks)
    }

    /// Notes one task of the validation pass (in manifest order).
    mutating func record(_ task: MediaTask, ref: BatchPlan.EntryRef, ordinal: Int, entryPath: FieldPath, line: Int?) {
        let id = task.id
        var imagesPerRequest = 1
        if case .image(let image) = task { imagesPerRequest = max(image.imagesPerRequest, 1) }
        hashes.append(id.hashValue)
        places.append(Place(
            manifest: Int32(ref.manifest), entry: Int32(ref.entry), ordinal: Int32(ordinal), imagesPerRequest: Int32(imagesPerRequest),
            makesImages: task.makesImages, makesVideo: task.isVideo))
        guard task.hasReferences else { return }  // most tasks: no references to parse
        let references = task.references
        dependents.append(Dependent(
            id: id, ref: ref, ordinal: ordinal, references: references, file: task.origin.file, line: task.origin.line ?? line,
            entryPath: entryPath, manifest: ref.manifest))
    }

    /// Where the task with this id is, if one task has it. (Ids are told apart by their
    /// hash: the planner expands the slot's entry and checks the id.)
    public func slot(of id: String) -> Slot? { slots[id.hashValue] }

    /// Checks every reference and orders the dependents so that each comes after the
    /// dependents it takes from; the problems found, each located at the dependent.
    mutating func check(manifests: [ManifestFile]) -> [ManifestIssue] {
        guard !dependents.isEmpty else { return [] }
        slots.reserveCapacity(hashes.count)
        for (hash, place) in zip(hashes, places) {
            if slots[hash] != nil {
                slots[hash]!.shared = true
            } else {
                slots[hash] = Slot(
                    ref: BatchPlan.EntryRef(manifest: Int(place.manifest), entry: Int(place.entry)), ordinal: Int(place.ordinal),
                    makesImages: place.makesImages, makesVideo: place.makesVideo, imagesPerRequest: Int(place.imagesPerRequest))
            }
        }
        hashes = []
        places = []
        var issues: [ManifestIssue] = []
        func issue(_ dependent: Dependent, _ reference: TaskReference, _ message: String) {
            var path = dependent.entryPath.appending(reference.field)
            if let index = reference.index { path = path.appending(index) }
            let line = dependent.line ?? manifests[dependent.manifest].line(of: path)
            issues.append(ManifestIssue(file: dependent.file, line: line, field: path.description, value: JSON.string(reference.description).excerpt(), message: message))
        }
        var byID: [String: Int] = [:]
        for (index, dependent) in dependents.enumerated() where byID[dependent.id] == nil { byID[dependent.id] = index }
        for dependent in dependents {
            for reference in dependent.references {
                guard let producer = slot(of: reference.producerID) else {
                    // An entry that expands (a count, lists) names its tasks `<id>-1`, `<id>-2`...
                    let expanded = slot(of: reference.producerID + "-1") != nil
                        ? "; its entry makes several tasks: name one, as @\(reference.producerID)-1" : ""
                    issue(dependent, reference, "no task of the batch has the id \"\(reference.producerID)\" (a reference names a task id as `mediabatch plan` lists it, in any manifest of the run)\(expanded)")
                    continue
                }
                if producer.shared {
                    issue(dependent, reference, "more than one task of the batch has the id \"\(reference.producerID)\"; give the producer an id of its own")
                } else if !producer.makesImages {
                    let what = producer.makesVideo ? "makes a video, not an image" : "makes no image (a tts task makes audio)"
                    issue(dependent, reference, "task \(reference.producerID) \(what); a reference must name an image task")
                } else if let number = reference.imageNumber, number > producer.imagesPerRequest {
                    issue(dependent, reference, "task \(reference.producerID) makes \(producer.imagesPerRequest) image\(producer.imagesPerRequest == 1 ? "" : "s") per request; #\(number) names none of them")
                } else if reference.imageNumber == nil, producer.imagesPerRequest > 1 {
                    issue(dependent, reference, "task \(reference.producerID) makes \(producer.imagesPerRequest) images per request; name one: @\(reference.producerID)#1 … @\(reference.producerID)#\(producer.imagesPerRequest)")
                } else if reference.producerID == dependent.id {
                    issue(dependent, reference, "a task cannot take its own output (a cycle: \(dependent.id) → \(dependent.id))")
                }
            }
        }

        // Depth-first over dependents that take from dependents: producers first, and every
        // cycle told once, at the dependent that closes it.
        var order: [Int] = []
        order.reserveCapacity(dependents.count)
        var state = [UInt8](repeating: 0, count: dependents.count)  // 0 new, 1 on the path, 2 placed
        var path: [Int] = []
        func visit(_ index: Int) {
            if state[index] == 2 { return }
            state[index] = 1
            path.append(index)
            for reference in dependents[index].references {
                guard let producer = byID[reference.producerID], producer != index else { continue }  // itself: told above
                if state[producer] == 1 {
                    let start = path.firstIndex(of: producer)!
                    let cycle = (path[start...].map { dependents[$0].id } + [reference.producerID]).joined(separator: " → ")
                    issue(dependents[index], reference, "a cycle of task references: \(cycle); a producer must not take, directly or through others, its dependent's output")
                } else {
                    visit(producer)
                }
            }
            path.removeLast()
            state[index] = 2
            order.append(index)
        }
        for index in dependents.indices { visit(index) }
        if issues.isEmpty { dependents = order.map { dependents[$0] } }
        return issues
    }
}
