/// Runs one attempt of an image task in two steps: `fetch` shapes the request, sends it and
/// decodes the answer (on a network worker); `write` puts the files on disk atomically (on
/// a writer lane). Knows nothing of retries or scheduling.
struct ImageTaskExecutor {
    let endpoint: OpenRouterEndpoint
    let claims: PathClaims

    /// Sends the task and decodes its images into `buffer`.
    func fetch(_ task: ImageTask, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> ImageResult {
        let body: JSON
        do { body = try ImageRequest.body(for: task) } catch {
            throw TaskFailure(.permanent, message: error.description)
        }
        let request = HTTPRequest(
            method: .post, url: endpoint.url(ImageRequest.path),
            headers: endpoint.headers(category: "image-gen"), body: JSONEncoding.encode(body))
        let response: HTTPResponse
        do { response = try connection.perform(request, into: buffer) } catch {
            switch error.kind {
            case .tooLarge: throw TaskFailure(.permanent, message: error.description)
            case .aborted: throw TaskFailure(.interrupted, message: "stopped while the request was in flight")
            default: throw TaskFailure(.transient, message: error.description)
            }
        }
        return try ImageResponse.decodeChat(response)
    }

    /// Writes every image to a temp file first and renames them only when all are written,
    /// so a failed task leaves no file behind.
    func write(_ images: [GeneratedImage], for task: ImageTask) throws(TaskFailure) -> [WrittenFile] {
        let paths = images.enumerated().map { index, image in
            task.output.path(index: index + 1, of: images.count, fileExtension: image.format.fileExtension)
        }
        for path in paths {
            if let owner = claims.claim(path, for: task.id) {
                throw TaskFailure(.permanent, message: "\(path) is already written by task \(owner) in this run")
            }
        }
        var staged: [StagedFile] = []
        var files: [WrittenFile] = []
        do {
            for (image, path) in zip(images, paths) {
                staged.append(try image.withUnsafeBytes { raw in Result { () throws(FileError) in try StagedFile([raw], for: path) } }.get())
                files.append(WrittenFile(path: path, size: image.count, sha256: image.withUnsafeBytes { SHA256.hex($0) }))
            }
            for (index, file) in staged.enumerated() {
                try file.commit()
                files[index].modified = FileIO.modificationStamp(file.path)
            }
        } catch {
            for file in staged { file.revoke() }
            throw TaskFailure(.permanent, message: error.description)
        }
        return files
    }
}
