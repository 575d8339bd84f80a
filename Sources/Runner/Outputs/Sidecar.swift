import Files
import JSON
import Media
import OpenRouter
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
        var sidecar: JSONObject = [
            "task": .string(task.id), "manifest": .string(task.manifestName), "type": "image",
            "prompt": .string(task.prompt), "model": .string(task.model.wireID), "parameters": .object(parameters),
        ]
        if let model = result.model { sidecar["servedBy"] = .string(model) }
        if let id = result.generationID { sidecar["generation"] = .string(id) }
        if let cost = result.cost { sidecar["cost"] = .double(cost) }
        if !task.inputImages.isEmpty { sidecar["inputImages"] = .array(task.inputImages.map { .string(FileIO.lastComponent($0)) }) }
        sidecar["created"] = .string(UTCTime.now())
        return sidecar
    }

    /// What came back for one image: its pixel size and format, and, when they differ from
    /// what the task asked (a model that ignored a hint), the mismatch in words.
    package static func recordReturned(_ image: GeneratedImage, for task: ImageTask, into sidecar: inout JSONObject) {
        // The header holds the size (a JPEG's frame header may follow large EXIF blocks).
        guard let size = image.withUnsafeBytes({ ImageFormat.dimensions(Array($0.prefix(1 << 20))) }) else { return }
        sidecar["returned"] = ["width": .int(Int64(size.width)), "height": .int(Int64(size.height)), "format": .string(image.format.rawValue)]
        if let mismatch = SizeCheck.mismatch(task, width: size.width, height: size.height) { sidecar["sizeMismatch"] = .string(mismatch) }
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
        var sidecar: JSONObject = [
            "task": .string(task.id), "manifest": .string(task.manifestName), "type": "video",
            "prompt": .string(task.prompt), "model": .string(task.model.wireID), "parameters": .object(parameters),
            "job": .string(job.id),
        ]
        if let id = job.generationID { sidecar["generation"] = .string(id) }
        if let cost = job.cost { sidecar["cost"] = .double(cost) }
        if let duration { sidecar["durationSeconds"] = .double(duration) }
        if let frame = task.firstFrame {
            sidecar["firstFrame"] = .string(FileIO.lastComponent(frame.location))
            if case .file(let path) = frame { sidecar["firstFramePath"] = .string(path) }
        }
        if let frame = task.lastFrame { sidecar["lastFrame"] = .string(FileIO.lastComponent(frame.location)) }
        if !task.references.isEmpty { sidecar["references"] = .array(task.references.map { .string(FileIO.lastComponent($0.location)) }) }
        sidecar["created"] = .string(UTCTime.now())
        return sidecar
    }

    /// The `parameters` text inside PNGs, in the shape AUTOMATIC1111 users know.
    package static func parameters(_ task: ImageTask) -> String {
        var settings = ["Model: \(task.model.wireID)"]
        if let aspect = task.aspectRatio { settings.append("Aspect ratio: \(aspect)") }
        if let resolution = task.resolution { settings.append("Resolution: \(resolution)") }
        if let seed = task.seed { settings.append("Seed: \(seed)") }
        settings.append("Generator: mediabatch (OpenRouter \(task.api == .images ? "/images" : "/chat/completions"))")
        return task.prompt + "\n" + settings.joined(separator: ", ")
    }

    package static func encode(_ sidecar: JSONObject) -> [UInt8] {
        JSONEncoding.encode(.object(sidecar)) + [UInt8(ascii: "\n")]
    }
}

