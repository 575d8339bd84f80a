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
            var body = ImageRequest.unsentBody(for: image)
            if !referenceStamps.isEmpty { body["references"] = .array(referenceStamps.map(JSON.string)) }
            var material: [UInt8] = []
            material.reserveCapacity(512)
            material.append(contentsOf: "mediabatch-key-v1\n\(ImageRequest.path(for: image))\n".utf8)
            canonical(.object(body), into: &material)
            material += Array("\n\(image.output.baseName)\n\(image.variant)".utf8)
            return SHA256.hex(material)
        case .speech(let speech):
            var body = SpeechRequest.body(for: speech, input: speech.text)
            body["max_chars"] = .int(Int64(speech.maxChars))
            if speech.format == .pcm { body["sample_rate"] = .int(Int64(speech.sampleRate)) }
            var material = Array("mediabatch-key-v1\n\(SpeechRequest.path)\n".utf8)
            canonical(.object(body), into: &material)
            material += Array("\n\(speech.output.baseName)".utf8)
            return SHA256.hex(material)
        }
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
