/// Runs one attempt of an image task: shape the request, send it, decode the answer, write
/// the files atomically. Knows nothing of retries or scheduling.
struct ImageTaskExecutor {
    let endpoint: OpenRouterEndpoint
    let claims: PathClaims

    struct Success {
        let files: [WrittenFile]
        let cost: Double?
        let generationID: String?
    }

    func execute(_ task: ImageTask, on connection: HTTPConnection) throws(TaskFailure) -> Success {
        let body: JSON
        do { body = try ImageRequest.body(for: task) } catch {
            throw TaskFailure(.permanent, message: error.description)
        }
        let request = HTTPRequest(
            method: .post, url: endpoint.url(ImageRequest.path),
            headers: endpoint.headers(category: "image-gen"), body: JSONEncoding.encode(body))
        let response: HTTPResponse
        do { response = try connection.perform(request) } catch {
            throw TaskFailure(error.kind == .tooLarge ? .permanent : .transient, message: error.description)
        }
        let result = try ImageResponse.decodeChat(response)
        let files = try write(result.images, for: task)
        return Success(files: files, cost: result.cost, generationID: result.generationID)
    }

    /// Writes every image to a temp file first and renames them only when all are written,
    /// so a failed task leaves no file behind.
    private func write(_ images: [GeneratedImage], for task: ImageTask) throws(TaskFailure) -> [WrittenFile] {
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
            for file in staged { try file.commit() }
        } catch {
            for file in staged { file.revoke() }
            throw TaskFailure(.permanent, message: error.description)
        }
        return files
    }
}
