/// A task's input that is another task's output in the same batch: `@<id>` or `@<id>#<n>`
/// in a field that takes an image (`inputImages` now; a video's frames use the same form).
/// It exists so that chaining is one idea whatever field or task kind carries it: each task
/// kind lists its references (`MediaTask.references`) and takes the producer's files in
/// their place (`MediaTask.resolvingReferences`), and nothing else needs to know the field.
public struct TaskReference: Sendable, Hashable, CustomStringConvertible {
    /// The producer's task id, as `plan` lists it.
    public let producerID: String
    /// Which image of the producer's answer (1-based); nil: its only (or first) image.
    public let imageNumber: Int?
    /// The manifest field that holds it (`inputImages`), and its place in a list field.
    public let field: String
    public let index: Int?

    public init(producerID: String, imageNumber: Int?, field: String, index: Int?) {
        self.producerID = producerID
        self.imageNumber = imageNumber
        self.field = field
        self.index = index
    }

    /// Reads `@id` or `@id#n` (n a whole number from 1); nil for anything else, including a
    /// text that does not start with `@` (a file name starting with `@` is written `./@name`).
    /// A malformed reference (`@`, `@id#0`, `@id#x`) is not nil: `isWellFormed` says it.
    public init?(parsing text: String, field: String, index: Int?) {
        guard text.hasPrefix("@") else { return nil }
        let body = text.dropFirst()
        if let hash = body.lastIndex(of: "#") {
            producerID = String(body[..<hash])
            imageNumber = Int(body[body.index(after: hash)...]) ?? 0
        } else {
            producerID = String(body)
            imageNumber = nil
        }
        self.field = field
        self.index = index
    }

    /// Starts with `@`: a reference, well-formed or not.
    public static func looksLikeReference(_ text: String) -> Bool { text.hasPrefix("@") }

    /// A non-empty id and, when given, an image number of at least 1.
    public var isWellFormed: Bool { !producerID.isEmpty && (imageNumber ?? 1) >= 1 }

    /// As written: `@id` or `@id#n`.
    public var description: String { "@" + producerID + (imageNumber.map { "#\($0)" } ?? "") }

    /// Where it stands in its task's entry: `inputImages[1]`, `firstFrame`.
    public var fieldPath: String { field + (index.map { "[\($0)]" } ?? "") }

    /// The image it names among `count` images its producer wrote (0-based), or nil when the
    /// producer wrote fewer.
    public func pick(among count: Int) -> Int? {
        let wanted = (imageNumber ?? 1) - 1
        return wanted < count ? wanted : nil
    }
}

/// A reference resolved to the producer's file: what the dependent's request reads, and
/// the content hash its request key includes (so a regenerated producer re-runs it).
public struct ResolvedReference: Sendable, Equatable {
    public let path: String
    public let sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}
