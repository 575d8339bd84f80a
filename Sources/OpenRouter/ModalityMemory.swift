import Support
import Tasks

/// The models that answered "No endpoints found that support the requested output
/// modalities" to `["image", "text"]` during this run: their later requests ask for
/// `["image"]` at once. One per client, shared by every worker that copies the client.
public final class ModalityMemory: Sendable {
    private let imageOnly = Locked<Set<String>>([])

    public init() {}

    /// Whether `model` is known, from this run, to write images only.
    public func isImageOnly(_ model: String) -> Bool { imageOnly.withLock { $0.contains(model) } }

    func remember(_ model: String) { imageOnly.withLock { _ = $0.insert(model) } }

    /// Whether `failure` is OpenRouter's 404 for a modalities list the model cannot serve.
    static func isModalitiesRefusal(_ failure: TaskFailure) -> Bool {
        failure.status == 404 && failure.message.lowercased().contains("output modalities")
    }
}
