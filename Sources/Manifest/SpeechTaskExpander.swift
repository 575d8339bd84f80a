import Files
import JSON
import Support
import Tasks

/// The fields of a text-to-speech task entry, and which of them `defaults.tts` may set.
package enum SpeechFields {
    package static let all: Set<String> = [
        "id", "type", "text", "textFile", "model", "voice", "format", "sampleRate", "speed", "provider",
        "maxChars", "title", "keepChunks", "output", "rows", "optional",
        "textFormat", "readCode", "lexicon", "dialogue", "subtitles", "loudness", "chapters", "book", "album",
    ]
    package static let defaultable: Set<String> = [
        "model", "voice", "format", "sampleRate", "speed", "provider", "maxChars", "keepChunks",
        "textFormat", "readCode", "lexicon", "dialogue", "subtitles", "loudness", "album",
    ]
    package static let defaultModel = "openrouter/hexgrad/kokoro-82m"
    package static let defaultVoice = "af_alloy"
    package static let defaultMaxChars = 4000

    /// The longest chunk a model is sent, from a documented table (docs/manifest.md): Gemini
    /// TTS models send nothing for 47-165 s before answering 1,200-4,500 characters, so
    /// their chunks stay near 1,500; other models take the default.
    package static func chunkBound(for model: ModelRef) -> Int? {
        model.wireID.hasPrefix("google/gemini") && model.wireID.contains("tts") ? 1500 : nil
    }

    /// A task's chunk size: what the manifest asks (else the default), within the model's bound.
    package static func maxChars(asked: Int?, model: ModelRef) -> Int {
        let wanted = asked ?? defaultMaxChars
        return chunkBound(for: model).map { min($0, wanted) } ?? wanted
    }
    package static let maxTextBytes = 4 << 20
    package static let speedRange = 0.25...4.0
    /// The loudness targets a manifest may ask for (LUFS).
    package static let loudnessRange = -70.0...(-5.0)
}

/// Expands a `tts` entry: lists in `text`, `model`, `voice` and `speed` multiply it.
package struct SpeechTaskExpander {
    package let entry: EntryReader
    /// Whether to warn of script lines whose speaker the script does not name (see `TaskExpander.findsWarnings`).
    package var findsWarnings = false

    package static let outputBuiltins: Set<String> = ["id", "model", "voice", "speed"]
    /// What an entry with chapters adds: `{chapter}` (`01`) and `{chapterTitle}`.
    package static let chapterBuiltins: Set<String> = ["chapter", "chapterTitle"]

    package func expand() -> [MediaTask] {
        let issues = entry.issues
        let before = issues.issues.count
        entry.rejectUnknownKeys(allowed: SpeechFields.all, kind: "a tts task")
        _ = entry.bool("optional")  // read at load; its type is checked here

        let (texts, textFile) = entry.textOrFile(
            "text", file: "textFile", limit: SpeechFields.maxTextBytes, empty: "a text to speak may not be empty",
            missing: "missing: a tts task needs text or textFile")
        let names = entry.nameTemplates()
        let models = entry.models("model", fallback: SpeechFields.defaultModel)
        // No voice given: each model's own default (its first supported voice), never another model's.
        let voices = entry.optionalStrings("voice", what: "voice")
        for (index, voice) in voices.enumerated() where voice?.trimmingWhitespace().isEmpty == true {
            entry.report(entry.field("voice")!, index: index, value: .string(voice ?? ""), "a voice may not be empty")
        }
        let speeds = self.speeds()
        let format = self.format()
        let sampleRate = entry.integer("sampleRate", range: 8000...192_000) ?? 24000
        let maxChars = entry.integer("maxChars", range: 100...1_000_000)
        let provider = entry.object("provider").map(JSON.object)
        let title = entry.string("title", what: "the title tag")
        let keepChunks = entry.bool("keepChunks") ?? false
        let loudness = self.loudness()
        let chapters = chapterPlan(texts: texts, format: format)

        let spoken = SpokenTextFields(entry: entry, textFile: textFile)
        checkCatalog(models: models, voices: voices.compactMap { $0 })
        checkDialogueVoices(spoken, models: models)
        if findsWarnings { warnOfUnknownSpeakers(spoken, texts: texts, textFile: textFile) }
        if voices == [nil] {
            for model in models where defaultVoice(for: model) == nil {
                entry.reportMissing("voice", "no voice given, and none is known for \(model.wireID): set one")
            }
        }
        guard let names, let format, let loudness else { return [] }
        let variables = entry.variables(id: names.id, output: names.output, texts: texts.map { ($0, "text") }, outputBuiltins: chapters == nil ? Self.outputBuiltins : Self.outputBuiltins.union(Self.chapterBuiltins))
        guard issues.issues.count == before else { return [] }

        let axes = [
            Axis(name: "t", values: Array(texts.indices)) { "t\($0 + 1)" },
            Axis(name: "model", values: models) { PortableName.sanitise($0.shortName) },
            Axis(name: "voice", values: voices) { $0.map(PortableName.sanitise) ?? "" },
            Axis(name: "speed", values: speeds) { $0.map { PortableName.sanitise("\($0)x") } ?? "" },
            Axis(name: "chapter", values: Array(0..<(chapters?.count ?? 1))) { ChapterPlan.numberText($0 + 1) },
        ]
        let namer = VariantNamer(header: entry.header, ordinal: entry.ordinal, idTemplate: names.id, outputTemplate: names.output, variables: variables, row: entry.row)
        guard namer.withinBounds(axes: axes, entry: entry) else { return [] }
        if let chapters, chapters.book, namer.count(axes: axes) != chapters.count, let located = entry.field("book") {
            // Every chapter of a book is read alike: a second voice would be a second book.
            entry.report(located, "book: true takes one text, model, voice and speed (and no variables that multiply the entry)")
            return []
        }
        let variants = (namer.plainVariant(axes: axes) ?? namer.singleRowVariant(axes: axes)).map { [$0] } ?? namer.variants(axes: axes) { choices in
            ["model": PortableName.sanitise(models[choices[1]].shortName),
             "voice": PortableName.sanitise(voices[choices[2]] ?? defaultVoice(for: models[choices[1]]) ?? ""),
             "speed": speeds[choices[3]].map { PortableName.sanitise("\($0)x") } ?? ""]
                .merging(chapterNames(chapters, index: choices[4])) { $1 }
        }
        guard let variants else {
            entry.reportBadOutputName()
            return []
        }
        return variants.compactMap { variant in
            let choice = variant.choices
            var text = texts[choice[0]].render(variant.values)
            if case .headings(let parts)? = chapters?.source { text = parts[choice[4]].text }
            guard textFile != nil || entry.nonEmpty(text, key: "text", index: texts.count > 1 ? choice[0] : nil, what: "text to speak") else { return nil }
            var task = SpeechTask(
                id: variant.id, manifestName: entry.header.name, origin: entry.origin,
                output: OutputTarget(folder: entry.header.outputFolder, baseName: variant.baseName),
                text: text, model: models[choice[1]],
                voice: voices[choice[2]] ?? defaultVoice(for: models[choice[1]]) ?? "",
                speed: speeds[choice[3]], format: format, sampleRate: sampleRate, provider: provider,
                maxChars: SpeechFields.maxChars(asked: maxChars, model: models[choice[1]]), title: title, keepChunks: keepChunks,
                textFile: textFile)
            task.loudness = loudness.target
            task.chapter = chapters?.chapter(
                choice[4], fallbackTitle: title ?? variant.id, task: (variant.id, title, entry.header.name), folder: entry.header.outputFolder)
            // A chapter is split from the Markdown as written, then read as a narrator says it.
            let spokenTask = spoken.apply(to: task)
            guard !spokenTask.text.trimmingWhitespace().isEmpty else {
                entry.reportMissing(textFile == nil ? "text" : "textFile", "nothing is left to say once the Markdown is read (headings, text and, with readCode, code are said)")
                return nil
            }
            return .speech(spokenTask)
        }
    }

    /// `speed`: a number or a list of numbers within OpenRouter's range; absent is [nil].
    private func speeds() -> [Double?] {
        guard let located = entry.field("speed") else { return [nil] }
        let items = located.value.arrayValue ?? [located.value]
        var speeds: [Double?] = []
        for (index, item) in items.enumerated() {
            if let speed = item.doubleValue, SpeechFields.speedRange.contains(speed) { speeds.append(speed) } else {
                entry.report(located, index: located.value.arrayValue == nil ? nil : index, value: item,
                             "speed must be a number from \(SpeechFields.speedRange.lowerBound) to \(SpeechFields.speedRange.upperBound)")
            }
        }
        if items.isEmpty { entry.report(located, "a speed list may not be empty") }
        return speeds
    }

    /// `{chapter}` and `{chapterTitle}` for output names (empty without chapters).
    private func chapterNames(_ chapters: ChapterPlan?, index: Int) -> [String: String] {
        guard let chapters else { return [:] }
        switch chapters.source {
        case .headings(let parts):
            return ["chapter": ChapterPlan.numberText(index + 1), "chapterTitle": PortableName.sanitise(parts[index].title ?? "")]
        case .file(let number, _, let title):
            return ["chapter": ChapterPlan.numberText(number), "chapterTitle": PortableName.sanitise(title)]
        }
    }

    /// `loudness`: `"off"` or a target in LUFS; absent is the default target. Nil when invalid.
    private func loudness() -> LoudnessChoice? {
        guard let located = entry.field("loudness") else { return LoudnessChoice(target: SpeechTask.defaultLoudness) }
        if located.value.stringValue == "off" { return LoudnessChoice(target: nil) }
        guard let target = located.value.doubleValue, SpeechFields.loudnessRange.contains(target) else {
            entry.report(located, "loudness must be \"off\" or a target in LUFS from \(Int(SpeechFields.loudnessRange.lowerBound)) to \(Int(SpeechFields.loudnessRange.upperBound)) (e.g. -18)")
            return nil
        }
        return LoudnessChoice(target: target)
    }

    /// A valid `loudness`: a target, or none (`"off"`).
    private struct LoudnessChoice {
        let target: Double?
    }

    private func format() -> SpeechFormat? {
        guard let located = entry.field("format") else { return .mp3 }
        guard let text = located.value.stringValue, let format = SpeechFormat(rawValue: text) else {
            entry.report(located, "format must be \"mp3\" or \"pcm\" (pcm is written as a .wav)")
            return nil
        }
        return format
    }
}
