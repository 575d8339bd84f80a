import Files
import JSON
import Media
import OpenRouter
import Reports
import Support
import Tasks

/// The metadata that travels with each file: a `<file>.json` sidecar (prompt or text,
/// model, parameters, generation id, cost, hash), and the text PNGs carry inside.
package enum Sidecar {
    package static func image(_ task: ImageTask, result: ImageResult) -> JSONObject {
        var parameters: JSONObject = ["api": .string(task.api.rawValue)]
        if let aspect = task.aspectRatio { parameters["aspectRatio"] = .string(aspect) }
        if let resolution = task.resolution { parameters["resolution"] = .string(resolution) }
        if let seed = task.seed { parameters["seed"] = .int(seed) }
        if let size = task.size { parameters["size"] = .string(size) }
        if let quality = task.quality { parameters["quality"] = .string(quality) }
        if let config = task.imageConfig { parameters["imageConfig"] = .object(config) }
        if let provider = task.provider { parameters["provider"] = provider }
        var sidecar = prompted("image", id: task.id, manifest: task.manifestName, prompt: task.prompt, model: task.model, parameters: parameters)
        if let model = result.model { sidecar["servedBy"] = .string(model) }
        if let id = result.generationID { sidecar["generation"] = .string(id) }
        if let cost = result.cost { sidecar["cost"] = .double(cost) }
        if !task.inputImages.isEmpty { sidecar["inputImages"] = .array(task.inputImages.map { .string(FileIO.lastComponent($0)) }) }
        sidecar["created"] = .string(UTCTime.now())
        return sidecar
    }

    /// What the sidecar of a file made from a prompt (an image, a clip) starts with: its task,
    /// manifest and kind, the prompt, the model asked for and the parameters sent.
    private static func prompted(
        _ type: String, id: String, manifest: String, prompt: String, model: ModelRef, parameters: JSONObject
    ) -> JSONObject {
        [
            "task": .string(id), "manifest": .string(manifest), "type": .string(type),
            "prompt": .string(prompt), "model": .string(model.wireID), "parameters": .object(parameters),
        ]
    }

    /// What came back for one image: its pixel size, nil when its header does not say.
    package static func pixelSize(_ image: GeneratedImage) -> (width: Int, height: Int)? {
        // The header holds the size (a JPEG's frame header may follow large EXIF blocks).
        image.withUnsafeBytes { ImageFormat.dimensions(Array($0.prefix(1 << 20))) }
    }

    /// What came back for one image: its pixel size and format, and, when they differ from
    /// what the task asked (a model that ignored a hint), the mismatch in words.
    package static func recordReturned(_ returned: ReturnedImage, into sidecar: inout JSONObject) {
        sidecar["returned"] = ["width": .int(Int64(returned.width)), "height": .int(Int64(returned.height)), "format": .string(returned.format)]
        if let mismatch = returned.mismatch { sidecar["sizeMismatch"] = .string(mismatch) }
    }

    package static func speech(_ task: SpeechTask, chunks: Int) -> JSONObject {
        var sidecar: JSONObject = [
            "task": .string(task.id), "manifest": .string(task.manifestName), "type": "tts",
            // The text sent, whole (after Markdown and the lexicon: what the voices said), up
            // to what keeps the sidecar under the 1 MiB its readers take (the gallery, OutputGuard).
            "text": .string(sentText(task.text)),
            "characters": .int(Int64(task.text.count)), "model": .string(task.model.wireID), "voice": .string(task.voice),
            "format": .string(task.format.rawValue), "chunks": .int(Int64(chunks)),
        ]
        if let speed = task.speed { sidecar["speed"] = .double(speed) }
        if task.voiceRuns.count > 1 { sidecar["voices"] = .array(task.allVoices.map(JSON.string)) }
        if let lexicon = task.lexiconFile { sidecar["lexicon"] = .string(lexicon) }
        if task.format == .pcm { sidecar["sampleRate"] = .int(Int64(task.sampleRate)) }
        sidecar["created"] = .string(UTCTime.now())
        return sidecar
    }

    /// The most UTF-8 bytes of a narration's text a sidecar holds.
    static let maxTextBytes = 600_000

    /// `text` whole, or its first `maxTextBytes` bytes (whole Characters) and "…".
    static func sentText(_ text: String) -> String {
        guard text.utf8.count > maxTextBytes else { return text }
        var bytes = 0
        let kept = text.prefix { character in
            bytes += character.utf8.count
            return bytes <= maxTextBytes
        }
        return kept + "…"
    }

    package static func video(_ task: VideoTask, job: VideoJobState, duration: Double?) -> JSONObject {
        var parameters = JSONObject()
        if let seconds = task.duration { parameters["duration"] = .int(Int64(seconds)) }
        if let resolution = task.resolution { parameters["resolution"] = .string(resolution) }
        if let ratio = task.aspectRatio { parameters["aspectRatio"] = .string(ratio) }
        if let size = task.size { parameters["size"] = .string(size) }
        if let audio = task.generateAudio { parameters["generateAudio"] = .bool(audio) }
        if let seed = task.seed { parameters["seed"] = .int(seed) }
        if let provider = task.provider { parameters["provider"] = provider }
        var sidecar = prompted("video", id: task.id, manifest: task.manifestName, prompt: task.prompt, model: task.model, parameters: parameters)
        sidecar["job"] = .string(job.id)
        if let id = job.generationID { sidecar["generation"] = .string(id) }
        if let cost = job.cost { sidecar["cost"] = .double(cost) }
        if let duration { sidecar["durationSeconds"] = .double(duration) }
        if let frame = task.firstFrame {
            sidecar["firstFrame"] = .string(FileIO.lastComponent(frame.location))
            // Relative to the output folder (where the gallery is), so the folder can move.
            if case .file(let path) = frame { sidecar["firstFramePath"] = .string(Gallery.relativeLink(path, from: task.output.folder)) }
        }
        if let frame = task.lastFrame { sidecar["lastFrame"] = .string(FileIO.lastComponent(frame.location)) }
        if !task.references.isEmpty { sidecar["references"] = .array(task.references.map { .string(FileIO.lastComponent($0.location)) }) }
        sidecar["created"] = .string(UTCTime.now())
        return sidecar
    }

    /// The `parameters` text inside PNGs, in the shape AUTOMATIC1111 users know: the fields
    /// sent, then what came back (`Returned size`, "unknown" before the image is read).
    /// The returned size is padded to a fixed width so the chunk's length, which places the
    /// decoded image (`ImagePlacement`), is the same before and after it is known.
    package static func parameters(_ task: ImageTask, returned: (width: Int, height: Int)? = nil) -> String {
        var settings = ["Model: \(task.model.wireID)"]
        if let aspect = task.aspectRatio { settings.append("Aspect ratio: \(aspect)") }
        if let resolution = task.resolution { settings.append("Resolution: \(resolution)") }
        if let size = task.size { settings.append("Size: \(size)") }
        if let quality = task.quality { settings.append("Quality: \(quality)") }
        if let seed = task.seed { settings.append("Seed: \(seed)") }
        settings.append("Generator: mediabatch (OpenRouter \(task.api == .images ? "/images" : "/chat/completions"))")
        var size = returned.map { "\($0.width)x\($0.height)" } ?? "unknown"
        if size.count > returnedSizeWidth { size = "unknown" }
        settings.append("Returned size: " + size + String(repeating: " ", count: returnedSizeWidth - size.count))
        return task.prompt + "\n" + settings.joined(separator: ", ")
    }

    /// Room for `99999x99999`.
    static let returnedSizeWidth = 11

    package static func encode(_ sidecar: JSONObject) -> [UInt8] {
        JSONEncoding.encodeForReading(.object(sidecar)) + [UInt8(ascii: "\n")]
    }
}

