import Files
import HTTP
import ImageScaling
import JSON
import Manifest
import Media
import OpenRouter
import Reports
import Support
import Tasks

/// Runs one attempt of an image task in two steps: `fetch` reads the reference images and
/// asks the client for the images (on a network worker); `write` puts the files on disk
/// atomically (on a writer lane). Knows nothing of retries or scheduling.
package struct ImageTaskExecutor {
    package let client: OpenRouterClient
    package let claims: PathClaims
    /// Write `<file>.json` beside each image.
    package let sidecars: Bool
    /// A decoded image larger than this fails the task.
    package var maxImageBytes = ImagePlacement.defaultMaxImageBytes

    /// A decoded answer and the PNG metadata chunk its images will carry (made once, in
    /// `fetch`, because decoding places the images by its length).
    package struct Fetched {
        package let result: ImageResult
        package let metadata: [UInt8]
        package var cost: Double? { result.cost }
        package var generationID: String? { result.generationID }
    }

    /// Sends the task and decodes its images into `buffer`. `digests`: the SHA-256 a
    /// reference file (another task's output) must have, the one its key was made with.
    package func fetch(_ task: ImageTask, digests: [String: String] = [:], on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> Fetched {
        var references: [ReferenceImage] = []
        let limit = task.downscaleInputs ? ImageFields.maxDownscaleSourceBytes : ImageFields.maxInputImageBytes
        for path in task.inputImages {
            references.append(try ReferenceFiles.read(path, limit: limit, digests: digests))
        }
        if task.downscaleInputs { references = try Self.shrunk(references) }
        // Decode where the PNG, once its metadata chunk is in, can go to disk uncopied.
        let metadata = PNGText.iTXtChunk(keyword: "parameters", text: Sidecar.parameters(task))
        let placement = ImagePlacement(pngInsertedBytes: metadata.count, maxImageBytes: maxImageBytes)
        let result = try client.generateImages(task, references: references, placement: placement, on: connection, into: buffer)
        return Fetched(result: result, metadata: metadata)
    }

    /// `downscaleInputs`: every file over its share of OpenRouter's limits (20 MB each, one
    /// body within 50 MiB, see `ImageFields.downscaleTarget`) shrunk to fit; the others as read.
    static func shrunk(_ references: [ReferenceImage]) throws(TaskFailure) -> [ReferenceImage] {
        let files = references.filter { if case .file = $0 { return true } else { return false } }.count
        let target = ImageFields.downscaleTarget(count: files)
        var result: [ReferenceImage] = []
        for reference in references {
            guard case .file(let path, let bytes) = reference, bytes.count > target else {
                result.append(reference)
                continue
            }
            do { result.append(.file(path: path, bytes: try ImageDownscaler.fit(bytes, path: path, maxBytes: target).bytes)) } catch {
                throw TaskFailure(.permanent, cause: .file(path: path), message: error.description)
            }
        }
        return result
    }

    /// The files an image task wrote, and what came back for each image.
    package struct Written {
        package let files: [WrittenFile]
        package let returned: [ReturnedImage]
    }

    /// Writes every image, all or nothing (see `AtomicOutputs`): a failed task leaves no
    /// file. PNGs carry the prompt, the settings sent and the pixel size that came back in an
    /// `iTXt` chunk; each image gets a sidecar `<file>.json` unless sidecars are off.
    package func write(_ fetched: Fetched, for task: ImageTask) throws(TaskFailure) -> Written {
        let result = fetched.result
        let images = result.images
        var outputs: [OutputFile] = []
        var returned: [ReturnedImage] = []
        for (index, image) in images.enumerated() {
            let path = task.output.path(index: index + 1, of: images.count, fileExtension: image.format.fileExtension)
            let size = Sidecar.pixelSize(image)
            let measured = size.map { size in
                ReturnedImage(
                    path: path, width: size.width, height: size.height, format: image.format.rawValue,
                    mismatch: SizeCheck.mismatch(task, width: size.width, height: size.height))
            }
            if let measured { returned.append(measured) }
            // The chunk as placed (same length), now with the size that came back.
            let sized = PNGText.iTXtChunk(keyword: "parameters", text: Sidecar.parameters(task, returned: size))
            let metadata = sized.count == fetched.metadata.count ? sized : fetched.metadata
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
                if task.api == .chat, var parameters = sidecar["parameters"]?.objectValue {
                    // As sent: a model found image-only during the run was asked for ["image"].
                    let modalities = client.modalities.isImageOnly(task.model.wireID) ? ["image"] : task.modalities
                    parameters["modalities"] = .array(modalities.map(JSON.string))
                    sidecar["parameters"] = .object(parameters)
                }
                sidecar["file"] = .object(["sha256": .string(digest), "format": .string(image.format.rawValue), "index": .int(Int64(index + 1))])
                if let measured { Sidecar.recordReturned(measured, into: &sidecar) }
                outputs.append(OutputFile(path: path + ".json", bytes: Sidecar.encode(sidecar), sync: false))
            }
        }
        return Written(files: try AtomicOutputs.write(outputs, taskID: task.id, folder: task.output.folder, claims: claims), returned: returned)
    }
}
