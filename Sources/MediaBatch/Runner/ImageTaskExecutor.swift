/// Runs one attempt of an image task in two steps: `fetch` shapes the request, sends it and
/// decodes the answer (on a network worker); `write` puts the files on disk atomically (on
/// a writer lane). Knows nothing of retries or scheduling.
struct ImageTaskExecutor {
    let endpoint: OpenRouterEndpoint
    let claims: PathClaims
    /// Write `<file>.json` beside each image.
    let sidecars: Bool
    /// A decoded image larger than this fails the task.
    var maxImageBytes = ImagePlacement.defaultMaxImageBytes

    /// A decoded answer and the PNG metadata chunk its images will carry (made once, in
    /// `fetch`, because decoding places the images by its length).
    struct Fetched {
        let result: ImageResult
        let metadata: [UInt8]
        var cost: Double? { result.cost }
        var generationID: String? { result.generationID }
    }

    /// Sends the task and decodes its images into `buffer`.
    func fetch(_ task: ImageTask, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> Fetched {
        let body: JSON
        do { body = try ImageRequest.body(for: task) } catch {
            throw TaskFailure(.permanent, message: error.description)
        }
        let request = HTTPRequest(
            method: .post, url: endpoint.url(ImageRequest.path(for: task)),
            headers: endpoint.headers(category: "image-gen"), body: JSONEncoding.encode(body))
        let response = try connection.send(request, into: buffer)
        // Decode where the PNG, once its metadata chunk is in, can go to disk uncopied.
        let metadata = PNGText.iTXtChunk(keyword: "parameters", text: Sidecar.parameters(task))
        let placement = ImagePlacement(pngInsertedBytes: metadata.count, maxImageBytes: maxImageBytes)
        let result = task.api == .images
            ? try ImageResponse.decodeImages(response, placement: placement) : try ImageResponse.decodeChat(response, placement: placement)
        return Fetched(result: result, metadata: metadata)
    }

    /// Writes every image, all or nothing (see `AtomicOutputs`): a failed task leaves no
    /// file. PNGs carry the prompt and settings in an `iTXt` chunk; each image gets a
    /// sidecar `<file>.json` unless sidecars are off.
    func write(_ fetched: Fetched, for task: ImageTask) throws(TaskFailure) -> [WrittenFile] {
        let result = fetched.result
        let images = result.images
        let metadata = fetched.metadata
        var outputs: [OutputFile] = []
        for (index, image) in images.enumerated() {
            let path = task.output.path(index: index + 1, of: images.count, fileExtension: image.format.fileExtension)
            let chunk = image.format == .png ? metadata : []
            var file = OutputFile(path: path) { body in
                image.withUnsafeBytes { bytes in
                    guard !chunk.isEmpty, let split = PNGText.insertionPoint(bytes) else { return body([bytes]) }
                    chunk.withUnsafeBytes { chunkBytes in
                        body([UnsafeRawBufferPointer(rebasing: bytes[..<split]), chunkBytes, UnsafeRawBufferPointer(rebasing: bytes[split...])])
                    }
                }
            }
            let digest = file.sha256
            file.knownSHA256 = digest
            outputs.append(file)
            if sidecars {
                var sidecar = Sidecar.image(task, result: result)
                sidecar["file"] = .object(["sha256": .string(digest), "format": .string(image.format.rawValue), "index": .int(Int64(index + 1))])
                outputs.append(OutputFile(path: path + ".json", bytes: Sidecar.encode(sidecar), sync: false))
            }
        }
        return try AtomicOutputs.write(outputs, taskID: task.id, folder: task.output.folder, claims: claims)
    }
}

extension HTTPConnection {
    /// `perform`, with a failed transfer classified for the retry layer: too large is
    /// permanent, aborted is an interruption, anything else (connect, timeout, reset) is
    /// transient.
    func send(_ request: HTTPRequest, into buffer: ByteArray) throws(TaskFailure) -> HTTPResponse {
        do { return try perform(request, into: buffer) } catch {
            switch error.kind {
            case .tooLarge: throw TaskFailure(.permanent, message: error.description)
            case .aborted: throw TaskFailure(.interrupted, message: "stopped while the request was in flight")
            default: throw TaskFailure(.transient, message: error.description)
            }
        }
    }
}
