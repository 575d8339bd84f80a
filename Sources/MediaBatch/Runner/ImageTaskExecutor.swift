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
            method: .post, url: endpoint.url(ImageRequest.path(for: task)),
            headers: endpoint.headers(category: "image-gen"), body: JSONEncoding.encode(body))
        let response: HTTPResponse
        do { response = try connection.perform(request, into: buffer) } catch {
            switch error.kind {
            case .tooLarge: throw TaskFailure(.permanent, message: error.description)
            case .aborted: throw TaskFailure(.interrupted, message: "stopped while the request was in flight")
            default: throw TaskFailure(.transient, message: error.description)
            }
        }
        return task.api == .images ? try ImageResponse.decodeImages(response) : try ImageResponse.decodeChat(response)
    }

    /// Writes every image, all or nothing (see `AtomicOutputs`): a failed task leaves no file.
    func write(_ images: [GeneratedImage], for task: ImageTask) throws(TaskFailure) -> [WrittenFile] {
        let outputs = images.enumerated().map { index, image in
            (path: task.output.path(index: index + 1, of: images.count, fileExtension: image.format.fileExtension),
             bytes: { (body: (UnsafeRawBufferPointer) -> Void) in image.withUnsafeBytes(body) })
        }
        return try AtomicOutputs.write(outputs, taskID: task.id, claims: claims)
    }
}
