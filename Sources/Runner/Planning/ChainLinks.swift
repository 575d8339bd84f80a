import Files
import Media
import Tasks

/// How a task that takes other tasks' outputs (`@id`) stands when the run starts: the
/// references already resolved (producers done, here or in an earlier run, their files
/// intact), the producers it waits for (they run in this run), or why it cannot run (a
/// producer refused before, kept, failed). The run's `ChainGate` completes it.
package struct ChainLinks: Sendable {
    /// Every producer it names, by id, in the order of its references.
    package let producers: [String]
    /// Its references resolved so far, by their text (`@id#n`).
    package var resolved: [String: ResolvedReference] = [:]
    /// Producers still to run in this run (ids).
    package var waitsFor: [String] = []
    /// Why it cannot run: it fails with this, unsent.
    package var blocked: TaskFailure?

    package init(producers: [String]) { self.producers = producers }
}

/// The one place where a reference meets its producer's files: which file of the
/// producer's output it names, and the stamp its dependent's request key takes from it (its
/// SHA-256). Image tasks and any other kind whose fields name images use it alike.
package enum ReferenceResolution {
    /// A producer's image files, in the order it wrote them (sidecars and other files left out).
    package static func images(_ files: [(path: String, sha256: String)]) -> [ResolvedReference] {
        files.filter { file in ImageFormat.allCases.contains { file.path.hasSuffix("." + $0.fileExtension) } }
            .map { ResolvedReference(path: $0.path, sha256: $0.sha256) }
    }

    /// The file `reference` names among `images`, or why none.
    package static func resolve(_ reference: TaskReference, among images: [ResolvedReference]) -> Result<ResolvedReference, TaskFailure> {
        guard let index = reference.pick(among: images.count) else {
            return .failure(TaskFailure(
                .permanent, cause: .producer(taskID: reference.producerID),
                message: "\(reference) names image \(reference.imageNumber ?? 1) of task \(reference.producerID), which wrote \(images.count) image\(images.count == 1 ? "" : "s"); nothing was sent"))
        }
        return .success(images[index])
    }

    /// The failure a dependent meets when its producer ends without images.
    package static func producerFailed(_ producerID: String, _ failure: TaskFailure) -> TaskFailure {
        let verb = failure.kind == .refused ? "was refused" : "failed"
        let unsent = "; nothing was sent"
        let reason = failure.message.hasSuffix(unsent) ? String(failure.message.dropLast(unsent.count)) : failure.message
        return TaskFailure(
            .permanent, cause: .producer(taskID: producerID), message: "its producer \(producerID) \(verb): \(reason)\(unsent)")
    }
}
