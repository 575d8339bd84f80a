import JSON
import Support
import Tasks

/// A task's identity across runs: a hash of its canonical request (endpoint and body with
/// sorted keys), its output name and its variant. Editing a prompt makes a new task; an
/// unchanged task is recognised by every later run, and by every shard the same way.
public enum RequestKey {
    /// The key of `task`. `referenceStamps` stand for its reference images, one for each of
    /// `inputImages` (path, size and modification time, see `FileIO.stamp`): an edited file
    /// is a new request, without reading megabytes to plan a run.
    public static func of(_ task: MediaTask, referenceStamps: [String]) -> String {
        switch task {
        case .image(let image):
            if let key = plainImageKey(image, referenceStamps: referenceStamps) { return key }
            return treeKey(image, referenceStamps: referenceStamps)
        case .speech(let speech):
            var body = SpeechRequest.body(for: speech, input: speech.text)
            body["max_chars"] = .int(Int64(speech.maxChars))
            if speech.format == .pcm { body["sample_rate"] = .int(Int64(speech.sampleRate)) }
            // Dialogue voices, headings (they shape the split) and subtitles, only when set.
            if !speech.voiceRuns.isEmpty {
                body["voice_runs"] = .array(speech.voiceRuns.map { .string("\($0.range.lowerBound)-\($0.range.upperBound) \($0.voice)") })
            }
            if !speech.headings.isEmpty {
                body["headings"] = .array(speech.headings.map { .string("\($0.lowerBound)-\($0.upperBound)") })
            }
            if let subtitles = speech.subtitles { body["subtitles"] = .string(subtitles.rawValue) }
            // The written file depends on it, the chunks bought do not: a new target rejoins kept chunks.
            if let loudness = speech.loudness { body["loudness"] = .double(loudness) }
            // A chapter's tags (number, title, album) are part of its file.
            if let chapter = speech.chapter {
                body["chapter"] = .object([
                    "number": .int(Int64(chapter.number)), "total": .int(Int64(chapter.total)), "title": .string(chapter.title),
                    "album": .string(chapter.album),
                ])
            }
            var material = Array("mediabatch-key-v1\n\(SpeechRequest.path)\n".utf8)
            canonical(.object(body), into: &material)
            material += Array("\n\(speech.output.baseName)".utf8)
            return SHA256.hex(material)
        case .video(let video):
            return videoKey(video, referenceStamps: referenceStamps)
        }
    }

    /// The key of a video task: its body without images, the stamps of its frame and
    /// reference images (one for each of `imageInputs`), its output name and variant.
    package static func videoKey(_ video: VideoTask, referenceStamps: [String]) -> String {
        var body = VideoRequest.unsentBody(for: video)
        let frames = [video.firstFrame != nil ? "first" : nil, video.lastFrame != nil ? "last" : nil].compactMap { $0 }
        if !frames.isEmpty { body["frames"] = .array(frames.map(JSON.string)) }
        if !referenceStamps.isEmpty { body["references"] = .array(referenceStamps.map(JSON.string)) }
        var material = Array("mediabatch-key-v1\n\(VideoRequest.path)\n".utf8)
        canonical(.object(body), into: &material)
        material += Array("\n\(video.output.baseName)\n\(video.variant)".utf8)
        return SHA256.hex(material)
    }

    /// The key of an image task as the JSON tree of its request gives it: every kind of
    /// image task (`of` writes the same bytes directly for the plain ones).
    package static func treeKey(_ image: ImageTask, referenceStamps: [String]) -> String {
            var body = ImageRequest.unsentBody(for: image)
            if !referenceStamps.isEmpty { body["references"] = .array(referenceStamps.map(JSON.string)) }
            var material: [UInt8] = []
            material.reserveCapacity(512)
            material.append(contentsOf: "mediabatch-key-v1\n\(ImageRequest.path(for: image))\n".utf8)
            canonical(.object(body), into: &material)
            material += Array("\n\(image.output.baseName)\n\(image.variant)".utf8)
            return SHA256.hex(material)
    }

    /// The key of a plain chat-path image task (no provider, fallback models, reasoning or
    /// explicit image config: the shape of nearly every task), its canonical bytes written
    /// directly, without a JSON tree: exactly the bytes `treeKey` hashes (tests compare
    /// them). Nil for any other task.
    package static func plainImageKey(_ image: ImageTask, referenceStamps: [String]) -> String? {
        guard image.api == .chat, image.provider == nil, image.fallbackModels == nil, image.reasoning == nil,
            image.imageConfig == nil
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(256 + image.prompt.utf8.count)
        func number(_ value: Int, _ terminator: UInt8) {
            out.append(contentsOf: String(value).utf8)
            out.append(terminator)
        }
        func text(_ string: String) {
            number(string.utf8.count, UInt8(ascii: ":"))
            out.append(contentsOf: string.utf8)
        }
        func string(_ value: String) {
            out.append(UInt8(ascii: "s"))
            text(value)
        }
        out.append(contentsOf: "mediabatch-key-v1\n".utf8)
        out.append(contentsOf: ImageRequest.path(for: image).utf8)
        out.append(UInt8(ascii: "\n"))
        // Members in the byte order of their keys: image_config, messages, modalities,
        // model, references.
        let aspect = image.model.isAuto ? nil : image.aspectRatio
        let resolution = image.model.isAuto ? nil : image.resolution
        let hasConfig = aspect != nil || resolution != nil
        out.append(UInt8(ascii: "{"))
        number(3 + (hasConfig ? 1 : 0) + (referenceStamps.isEmpty ? 0 : 1), UInt8(ascii: ":"))
        if hasConfig {
            text("image_config")
            out.append(UInt8(ascii: "{"))
            number((aspect != nil ? 1 : 0) + (resolution != nil ? 1 : 0), UInt8(ascii: ":"))
            if let aspect {
                text("aspect_ratio")
                string(aspect)
            }
            if let resolution {
                text("image_size")
                string(resolution)
            }
        }
        text("messages")
        out.append(contentsOf: "[1:{2:".utf8)
        text("content")
        string(image.prompt)
        text("role")
        string("user")
        text("modalities")
        out.append(UInt8(ascii: "["))
        number(image.modalities.count, UInt8(ascii: ":"))
        for modality in image.modalities { string(modality) }
        text("model")
        string(image.model.wireID)
        if !referenceStamps.isEmpty {
            text("references")
            out.append(UInt8(ascii: "["))
            number(referenceStamps.count, UInt8(ascii: ":"))
            for stamp in referenceStamps { string(stamp) }
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: image.output.baseName.utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: String(image.variant).utf8)
        return SHA256.hex(out)
    }

    /// An unambiguous byte form of a JSON value for hashing: object keys sorted, every
    /// string length-prefixed (so no escaping is needed), numbers in a fixed form. Equal
    /// requests give equal bytes whatever order their keys were written in.
    package static func canonical(_ value: JSON, into out: inout [UInt8]) {
        func count(_ number: Int, _ terminator: Character) {
            out.append(contentsOf: String(number).utf8)
            out.append(UInt8(ascii: terminator.unicodeScalars.first!))
        }
        func text(_ string: String) {
            count(string.utf8.count, ":")
            out.append(contentsOf: string.utf8)
        }
        switch value {
        case .null: out.append(UInt8(ascii: "n"))
        case .bool(let flag): out.append(flag ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .int(let number):
            out.append(UInt8(ascii: "i"))
            out.append(contentsOf: String(number).utf8)
            out.append(UInt8(ascii: ";"))
        case .double(let number):
            out.append(UInt8(ascii: "d"))
            out.append(contentsOf: String(number.bitPattern, radix: 16).utf8)
            out.append(UInt8(ascii: ";"))
        case .string(let string):
            out.append(UInt8(ascii: "s"))
            text(string)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            count(items.count, ":")
            for item in items { canonical(item, into: &out) }
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            count(object.members.count, ":")
            for member in object.members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                text(member.key)
                canonical(member.value, into: &out)
            }
        }
    }
}
