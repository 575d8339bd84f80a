import Files
import Support
import Tasks

/// One file of a task: where it goes and how to read its bytes (lent as pieces, so a PNG
/// can gain a text chunk without being copied).
package struct OutputFile {
    package let path: String
    package let lend: (([UnsafeRawBufferPointer]) -> Void) -> Void
    /// Media are synced before they are named; derived metadata (sidecars) need not be.
    package var sync = true
    /// The digest, when the caller already computed it (so it is computed once).
    package var knownSHA256: String?

    package init(path: String, lend: @escaping (([UnsafeRawBufferPointer]) -> Void) -> Void) {
        self.path = path
        self.lend = lend
    }

    package init(path: String, bytes: [UInt8], sync: Bool = true) {
        self.init(path: path) { body in bytes.withUnsafeBytes { body([$0]) } }
        self.sync = sync
    }

    /// The SHA-256 of the bytes as they will be written.
    package var sha256: String {
        if let knownSHA256 { return knownSHA256 }
        var digest = ""
        lend { digest = SHA256.hex($0) }
        return digest
    }
}

/// Writes a task's files all or nothing: each is staged (written and fsynced unnamed),
/// then all are named; any failure removes what was named.
package enum AtomicOutputs {
    /// Every file must land inside `folder` (the task's output folder) once symlinks are
    /// resolved: a link planted in the output tree cannot carry a write elsewhere.
    package static func write(_ outputs: [OutputFile], taskID: String, folder: String, claims: PathClaims) throws(TaskFailure) -> [WrittenFile] {
        for output in outputs {
            if let owner = claims.claim(output.path, for: taskID) {
                throw TaskFailure(.permanent, cause: .file(path: output.path), message: "\(output.path) is already written by task \(owner) in this run")
            }
            let parent = FileIO.directory(of: output.path)
            do { try FileIO.makeDirectories(parent) } catch { throw failure(error) }
            guard FileIO.isInside(parent, root: folder) else {
                throw TaskFailure(.permanent, cause: .file(path: parent), message: "\(parent) leads outside the output folder \(folder) (a symbolic link?); nothing written")
            }
        }
        var staged: [StagedFile] = []
        var files: [WrittenFile] = []
        do {
            for output in outputs {
                var result: Result<StagedFile, FileError>!
                var written: WrittenFile!
                output.lend { pieces in
                    result = Result { () throws(FileError) in try StagedFile(pieces, for: output.path, sync: output.sync) }
                    written = WrittenFile(path: output.path, size: pieces.reduce(0) { $0 + $1.count }, sha256: output.knownSHA256 ?? SHA256.hex(pieces))
                }
                staged.append(try result.get())
                files.append(written)
            }
            // Last first: a sidecar is named before its media file, so an image or audio file
            // on disk always has the sidecar that proves mediabatch wrote it (`OutputGuard`).
            for index in staged.indices.reversed() {
                try staged[index].commit()
                files[index].modified = FileIO.modificationStamp(staged[index].path)
            }
        } catch {
            for file in staged { file.revoke() }
            throw failure(error)
        }
        return files
    }

    /// A file error as the task's failure: `unwritable` (the run stops) when every later write
    /// would meet it too (see `StopRules.stopsRun(on:)`), else a failure of this task only.
    package static func failure(_ error: FileError) -> TaskFailure {
        TaskFailure(StopRules.stopsRun(on: error) ? .unwritable : .permanent, cause: .file(path: error.path), message: error.description)
    }
}
