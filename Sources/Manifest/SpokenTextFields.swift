import JSON
import Files
import ManifestDiagnostics
import Narration
import Tasks

/// A tts entry's fields about how its text is spoken — `textFormat`, `readCode`, `lexicon`,
/// `dialogue`, `subtitles` — read once per entry and applied to each variant's text.
struct SpokenTextFields {
    /// Read as Markdown: `textFormat`, else true for a `.md`/`.markdown` text file.
    var markdown = false
    var readCode = false
    var lexicon: Lexicon?
    var lexiconFile: String?
    /// The dialogue as written: the narrator (nil: the task's voice) and the other voices.
    var dialogue: DialogueFields?
    var subtitles: SubtitleFormat?

    /// `dialogue` before the task's voice is known.
    enum DialogueFields {
        case quotes(narrator: String?, quotes: String)
        case script(narrator: String?, speakers: [String: String])

        func voices(narrator fallback: String) -> DialogueVoices {
            switch self {
            case .quotes(let narrator, let quotes): return .quotes(narrator: narrator ?? fallback, quotes: quotes)
            case .script(let narrator, let speakers): return .script(narrator: narrator ?? fallback, speakers: speakers)
            }
        }

        /// The voices other than the narrator's.
        var otherVoices: [String] {
            switch self {
            case .quotes(let narrator, let quotes): return [narrator, quotes].compactMap { $0 }
            case .script(let narrator, let speakers): return ([narrator].compactMap { $0 }) + speakers.values.sorted()
            }
        }
    }

    /// The largest lexicon file read.
    static let maxLexiconBytes = 1 << 20

    init(entry: EntryReader, textFile: String?) {
        if let located = entry.field("textFormat") {
            switch located.value.stringValue {
            case "markdown": markdown = true
            case "plain": markdown = false
            default: entry.report(located, "textFormat must be \"markdown\" or \"plain\"")
            }
        } else if let textFile {
            let lower = textFile.lowercased()
            markdown = lower.hasSuffix(".md") || lower.hasSuffix(".markdown")
        }
        readCode = entry.bool("readCode") ?? false
        if let located = entry.field("subtitles") {
            if let text = located.value.stringValue, let format = SubtitleFormat(rawValue: text) {
                subtitles = format
            } else {
                entry.report(located, "subtitles must be \"srt\" or \"vtt\"")
            }
        }
        if let located = entry.field("lexicon"), let name = entry.string("lexicon", what: "a lexicon file path"),
            let (path, text) = InputFiles(entry: entry).readText(name, at: located, what: "lexicon file", limit: Self.maxLexiconBytes)
        {
            do throws(LexiconErrors) {
                lexicon = try Lexicon(parsing: text)
                lexiconFile = path
            } catch {
                for problem in error.errors { entry.report(located, "lexicon \(path) line \(problem.line): \(problem.message)") }
            }
        }
        if let located = entry.field("dialogue") { dialogue = Self.dialogue(located, entry: entry) }
    }

    private static func dialogue(_ located: Located, entry: EntryReader) -> DialogueFields? {
        guard let object = located.value.objectValue else {
            entry.report(located, "dialogue must be an object: {\"quotes\": \"<voice>\"} or {\"script\": {\"NAME\": \"<voice>\"}}, with an optional \"narrator\"")
            return nil
        }
        var valid = true
        func fail(_ key: String?, _ value: JSON?, _ message: String) {
            valid = false
            entry.issues.add(key.map { located.path.appending($0) } ?? located.path, line: located.line, value: value, message)
        }
        func voice(_ key: String) -> String? {
            guard let value = object[key] else { return nil }
            guard let text = value.stringValue, !text.trimmingWhitespace().isEmpty else {
                fail(key, value, "a voice must be a non-empty string")
                return nil
            }
            return text
        }
        for key in object.keys where !["narrator", "quotes", "script"].contains(key) {
            fail(key, nil, "unknown field for dialogue (expected one of: narrator, quotes, script)")
        }
        let narrator = voice("narrator")
        let quotes = voice("quotes")
        var speakers: [String: String]?
        if let script = object["script"] {
            if let members = script.objectValue, !members.isEmpty {
                var map: [String: String] = [:]
                for (name, value) in members {
                    let path = located.path.appending("script").appending(name)
                    if name.trimmingWhitespace().isEmpty || name.contains(":") || name.contains("\n") || name != name.trimmingWhitespace() {
                        valid = false
                        entry.issues.add(path, line: located.line, value: .string(name), "a speaker's name is what starts their lines before the colon: not empty, no ':' or line break, no spaces around it")
                    } else if let text = value.stringValue, !text.trimmingWhitespace().isEmpty {
                        map[name] = text
                    } else {
                        valid = false
                        entry.issues.add(path, line: located.line, value: value, "a speaker's voice must be a non-empty string")
                    }
                }
                speakers = map
            } else {
                fail("script", script, "script must be a non-empty object of speaker names and their voices, e.g. {\"ALICE\": \"af_bella\"}")
            }
        }
        switch (quotes, speakers, object["quotes"] != nil, object["script"] != nil) {
        case (_, _, true, true): fail(nil, nil, "dialogue takes either quotes or script, not both")
        case (_, _, false, false): fail(nil, nil, "dialogue needs quotes (the voice of quoted speech) or script (the voice of each speaker)")
        default: break
        }
        guard valid else { return nil }
        if let quotes { return .quotes(narrator: narrator, quotes: quotes) }
        if let speakers { return .script(narrator: narrator, speakers: speakers) }
        return nil
    }

    /// Whether anything changes the text or its voices (else the text is sent as written).
    var changesText: Bool { markdown || lexicon != nil || dialogue != nil }

    /// `task` with its text made for speaking and its voices laid out.
    func apply(to task: SpeechTask) -> SpeechTask {
        var task = task
        task.subtitles = subtitles
        task.lexiconFile = lexiconFile
        guard changesText else { return task }
        let voices = dialogue?.voices(narrator: task.voice)
        let options = SpokenText.Options(markdown: markdown, readCode: readCode, lexicon: lexicon, dialogue: voices)
        let spoken = SpokenText(task.text, options: options)
        task = task.speaking(spoken.text)
        // The task's voice is the narrator's (the sidecar's `voice`, the ID3 artist).
        if let narrator = voices?.narrator { task = task.voiced(narrator) }
        task.voiceRuns = spoken.voiceRuns.map { VoiceRun(range: $0.range, voice: $0.voice) }
        task.headings = spoken.headings
        return task
    }
}

extension SpeechTaskExpander {
    /// Where `voice` is named in `dialogue`: `dialogue.quotes`, `.narrator` or
    /// `.script.NAME` (the first that names it), else `dialogue` itself.
    static func field(of voice: String, in dialogue: Located) -> FieldPath {
        guard let object = dialogue.value.objectValue else { return dialogue.path }
        for key in ["quotes", "narrator"] where object[key]?.stringValue == voice { return dialogue.path.appending(key) }
        if let script = object["script"]?.objectValue {
            for name in script.keys.sorted() where script[name]?.stringValue == voice { return dialogue.path.appending("script").appending(name) }
        }
        return dialogue.path
    }

    /// A script line whose speaker `script` does not name (`BOB:` with only ALICE, or
    /// `Alice:` for ALICE) is read by the narrator, name and all: a warning names it.
    func warnOfUnknownSpeakers(_ fields: SpokenTextFields, texts: [Template], textFile: String?) {
        guard case .script(_, let speakers)? = fields.dialogue, let located = entry.field("dialogue") else { return }
        let known = speakers.keys.sorted().joined(separator: ", ")
        for text in texts {
            for (name, line) in DialogueVoices.unknownSpeakers(in: text.sourceText, speakers: speakers) {
                let place = textFile.map { "line \(line) of \(FileIO.relativeDisplay($0))" } ?? "line \(line) of the text"
                entry.warn(located, "\(place) starts \"\(name):\", a speaker the script does not name (it names \(known); names match exactly, case included): that line is read by the narrator, \"\(name):\" and all")
            }
        }
    }

    /// The model's voices, when the catalog knows them, must include every dialogue voice.
    func checkDialogueVoices(_ fields: SpokenTextFields, models: [ModelRef]) {
        guard let dialogue = fields.dialogue, let located = entry.field("dialogue"), let catalog = entry.catalog else { return }
        for model in models {
            guard let known = catalog.models[model.wireID], !known.voices.isEmpty else { continue }
            for voice in Set(dialogue.otherVoices).sorted() where !known.voices.contains(voice) {
                entry.issues.add(Self.field(of: voice, in: located), line: located.line, value: .string(voice),
                    "\(model.wireID) has no voice \(voice) (it has \(known.voices.joined(separator: ", "))); every voice of a dialogue uses the narration's model")
            }
        }
    }
}
