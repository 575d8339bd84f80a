import Files
import JSON
import ManifestDiagnostics
import Support
import Tasks

/// The fields of a video task entry, and which of them `defaults.video` may set.
package enum VideoFields {
    package static let all: Set<String> = [
        "id", "type", "prompt", "promptFile", "model", "duration", "resolution", "aspectRatio", "size", "generateAudio",
        "seed", "provider", "firstFrame", "lastFrame", "references", "count", "output", "rows", "optional",
    ]
    package static let defaultable: Set<String> = [
        "model", "duration", "resolution", "aspectRatio", "size", "generateAudio", "seed", "provider", "count",
    ]
    /// What OpenRouter's video API takes at all (each model takes a subset: `GET /videos/models`).
    package static let resolutions = ["480p", "720p", "768p", "1080p", "1K", "2K", "4K"]
    package static let aspectRatios = ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21"]
    package static let durationRange = 1...120
    package static let maxReferences = 16
}

/// Expands a `video` entry: lists in `prompt`, `model`, `duration`, `aspectRatio` and
/// `resolution` multiply it, and so does `count`. Checked against the video model list when
/// cached (`mediabatch models`), else the reference's built-in table (durations only).
package struct VideoTaskExpander {
    package let entry: EntryReader

    package static let outputBuiltins: Set<String> = ["id", "n", "model", "duration", "aspectRatio", "resolution"]

    package func expand() -> [MediaTask] {
        let issues = entry.issues
        let before = issues.issues.count
        entry.rejectUnknownKeys(allowed: VideoFields.all, kind: "a video task")
        _ = entry.bool("optional")  // read at load; its type is checked here

        let firstFrameField = located("firstFrame")
        let lastFrameField = located("lastFrame")
        let hasFrame = firstFrameField != nil || lastFrameField != nil
        var prompts: [Template] = [Template(literal: "")]
        var promptFile: String?
        if entry.field("prompt") != nil || entry.field("promptFile") != nil || !hasFrame {
            (prompts, promptFile) = entry.textOrFile(
                "prompt", file: "promptFile", limit: PromptParts.maxFileBytes, empty: "a prompt may not be empty",
                missing: "missing: a video task needs a prompt (or a promptFile) unless it gives a firstFrame or lastFrame image")
        }
        let names = entry.nameTemplates()
        let models = entry.models("model")
        let durations: [Int?] = entry.field("duration") == nil ? [nil] : integers("duration", range: VideoFields.durationRange)
        let aspectRatios = entry.optionalStrings("aspectRatio", what: "aspect ratio")
        let resolutions = entry.optionalStrings("resolution", what: "resolution")
        let size = entry.string("size", what: "a size like 1280x720")
        let generateAudio = entry.bool("generateAudio")
        let count = entry.integer("count", range: 1...ImageFields.maxCount) ?? 1
        let provider = entry.object("provider").map(JSON.object)
        var seed: Int64?
        if let located = entry.field("seed") {
            if let value = located.value.intValue, located.value.doubleValue == Double(value) { seed = value } else {
                entry.report(located, "seed must be a whole number")
            }
        }
        checkValues(aspectRatios: aspectRatios, resolutions: resolutions, size: size)
        let firstFrame = firstFrameField.flatMap { image($0) }
        let lastFrame = lastFrameField.flatMap { image($0) }
        let referencesField = located("references")
        let references = referencesField.map { referenceImages($0) } ?? []
        checkModels(
            models, durations: durations.compactMap { $0 }, aspectRatios: aspectRatios.compactMap { $0 },
            resolutions: resolutions.compactMap { $0 }, size: size, generateAudio: generateAudio, seed: seed,
            firstFrame: firstFrameField, lastFrame: lastFrameField)
        checkBodySize([firstFrame?.resolved, lastFrame?.resolved].compactMap { $0 } + references.compactMap(\.resolved))

        guard let names else { return [] }
        let imageTemplates = [firstFrame.map { ($0.template, "firstFrame") }, lastFrame.map { ($0.template, "lastFrame") }].compactMap { $0 }
            + references.map { ($0.template, "references") }
        let variables = entry.variables(
            id: names.id, output: names.output, texts: prompts.map { ($0, "prompt") } + imageTemplates, outputBuiltins: Self.outputBuiltins)
        guard issues.issues.count == before else { return [] }

        let axes = [
            Axis(name: "p", values: Array(prompts.indices)) { "p\($0 + 1)" },
            Axis(name: "model", values: models) { PortableName.sanitise($0.shortName) },
            Axis(name: "duration", values: durations) { $0.map { "\($0)s" } ?? "" },
            Axis(name: "aspectRatio", values: aspectRatios) { ($0 ?? "").replacingColons() },
            Axis(name: "resolution", values: resolutions) { ($0 ?? "").lowercased() },
            Axis(name: "n", values: Array(1...count)) { String($0) },
        ]
        let namer = VariantNamer(
            header: entry.header, ordinal: entry.ordinal, idTemplate: names.id, outputTemplate: names.output, variables: variables,
            row: entry.row)
        guard namer.withinBounds(axes: axes, entry: entry) else { return [] }
        let variants = (namer.plainVariant(axes: axes) ?? namer.singleRowVariant(axes: axes)).map { [$0] } ?? namer.variants(axes: axes) { choices in
            ["n": String(choices[5] + 1), "model": PortableName.sanitise(models[choices[1]].shortName),
             "duration": durations[choices[2]].map { "\($0)s" } ?? "", "aspectRatio": aspectRatios[choices[3]]?.replacingColons() ?? "",
             "resolution": resolutions[choices[4]]?.lowercased() ?? ""]
        }
        guard let variants else {
            entry.reportBadOutputName()
            return []
        }
        // Frames and references named by a template (`"firstFrame": "@{sku}"`,
        // `"frames/{sku}.png"`) resolve per variant, as an image task's inputImages do.
        var resolvedImages: [String: VideoImageInput?] = [:]
        return variants.compactMap { variant in
            let choice = variant.choices
            var frames: [VideoImageInput?] = []
            for (image, located) in [(firstFrame, firstFrameField), (lastFrame, lastFrameField)] {
                guard let image, let located else {
                    frames.append(nil)
                    continue
                }
                guard let input = render(image, at: located, index: 0, values: variant.values, cache: &resolvedImages) else { return nil }
                frames.append(input)
            }
            var referenceInputs: [VideoImageInput] = []
            for (index, reference) in references.enumerated() {
                guard let referencesField, let input = render(reference, at: referencesField, index: index, values: variant.values, cache: &resolvedImages) else { return nil }
                referenceInputs.append(input)
            }
            if firstFrame?.resolved == nil || lastFrame?.resolved == nil || references.contains(where: { $0.resolved == nil }) {
                guard checkBodySize(frames.compactMap { $0 } + referenceInputs) else { return nil }
            }
            let prompt = prompts[choice[0]].render(variant.values)
            if !hasFrame, promptFile == nil {
                guard entry.nonEmpty(prompt, key: "prompt", index: prompts.count > 1 ? choice[0] : nil, what: "prompt") else { return nil }
            }
            return .video(VideoTask(
                id: variant.id, manifestName: entry.header.name, origin: entry.origin,
                output: OutputTarget(folder: entry.header.outputFolder, baseName: variant.baseName),
                prompt: prompt, model: models[choice[1]], duration: durations[choice[2]], resolution: resolutions[choice[4]],
                aspectRatio: aspectRatios[choice[3]], size: size, generateAudio: generateAudio, seed: seed, provider: provider,
                firstFrame: frames[0], lastFrame: frames[1], references: referenceInputs, variant: choice[5] + 1,
                manifestFile: entry.header.absoluteFile))
        }
    }

    private func located(_ key: String) -> Located? {
        entry.object[key].map { Located(value: $0, in: entry.path, key: key, line: entry.line) }
    }

    /// `duration`: a whole number of seconds or a list of them.
    private func integers(_ key: String, range: ClosedRange<Int>) -> [Int?] {
        guard let located = entry.field(key) else { return [nil] }
        let items = located.value.arrayValue ?? [located.value]
        if items.isEmpty { entry.report(located, "a \(key) list may not be empty") }
        var values: [Int?] = []
        for (index, item) in items.enumerated() {
            if let value = item.intValue, item.doubleValue == Double(value), range.contains(Int(value)) { values.append(Int(value)) } else {
                entry.report(located, index: located.value.arrayValue == nil ? nil : index, value: item,
                             "\(key) must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
            }
        }
        return values
    }

    /// Values the video API takes at all, whatever the model.
    private func checkValues(aspectRatios: [String?], resolutions: [String?], size: String?) {
        if let located = entry.field("aspectRatio") {
            for value in aspectRatios.compactMap({ $0 }) where !VideoFields.aspectRatios.contains(value) {
                entry.report(located, value: .string(value), "not a video aspect ratio (allowed: \(VideoFields.aspectRatios.joined(separator: " ")))")
            }
        }
        if let located = entry.field("resolution") {
            for value in resolutions.compactMap({ $0 }) where !VideoFields.resolutions.contains(value) {
                entry.report(located, value: .string(value), "not a video resolution (allowed: \(VideoFields.resolutions.joined(separator: " ")))")
            }
        }
        if let size, let located = entry.field("size") {
            let sides = size.split(separator: "x")
            if !(sides.count == 2 && sides.allSatisfy({ Int($0).map { (16...8192).contains($0) } ?? false })) {
                entry.report(located, value: .string(size), "size must be pixels like 1280x720")
            }
            if entry.field("aspectRatio") != nil || entry.field("resolution") != nil {
                entry.report(located, "size replaces resolution and aspectRatio: give one or the others, not both")
            }
        }
    }

    /// A resolved image name: another task's output (`@id`, kept as written for the planner),
    /// else a file (resolved paths are absolute).
    private static func input(_ resolved: String) -> VideoImageInput {
        TaskReference.looksLikeReference(resolved) ? .task(resolved) : .file(resolved)
    }

    /// A frame or reference as written: its template, and what it names when it has no
    /// `{var}` placeholder (resolved, and checked, once for every variant).
    private struct ImageName {
        let template: Template
        let resolved: VideoImageInput?
    }

    /// A frame image: a path relative to the manifest, an http(s) URL, or another task's
    /// output (`@id`, `@id#n`); with `{var}` placeholders, resolved per variant.
    private func image(_ located: Located) -> ImageName? {
        guard let name = FieldReader(issues: entry.issues, line: located.line).string(located.value, at: located.path, what: "an image path") else { return nil }
        return imageName(name, at: located, index: nil)
    }

    private func referenceImages(_ located: Located) -> [ImageName] {
        guard let names = FieldReader(issues: entry.issues, line: located.line).strings(located.value, at: located.path, what: "image path") else { return [] }
        if names.count > VideoFields.maxReferences { entry.report(located, "at most \(VideoFields.maxReferences) reference images per task") }
        return names.enumerated().compactMap { index, name in imageName(name, at: located, index: index) }
    }

    private func imageName(_ name: String, at located: Located, index: Int?) -> ImageName? {
        if name.hasPrefix("http://") || name.hasPrefix("https://") { return ImageName(template: Template(literal: name), resolved: .url(name)) }
        guard let template = entry.template(name, at: located, index: index) else { return nil }
        if !template.names.isEmpty { return ImageName(template: template, resolved: nil) }
        return resolve(name, at: located, index: index ?? 0).map { ImageName(template: template, resolved: $0) }
    }

    private func resolve(_ name: String, at located: Located, index: Int) -> VideoImageInput? {
        if name.hasPrefix("http://") || name.hasPrefix("https://") { return .url(name) }
        return InputFiles(entry: entry).resolveImage(name, at: located, index: index, offersDownscale: false).map(Self.input)
    }

    /// One variant's frame or reference: the name rendered with the variant's values and
    /// resolved (once per distinct name: `cache`); nil, reported, when it names nothing.
    private func render(
        _ image: ImageName, at located: Located, index: Int, values: [String: String], cache: inout [String: VideoImageInput?]
    ) -> VideoImageInput? {
        if let resolved = image.resolved { return resolved }
        let name = image.template.render(values)
        if let known = cache[name] { return known }
        let resolved = resolve(name, at: located, index: index)
        cache[name] = resolved
        return resolved
    }

    /// The frames and references travel base64 in one body of at most 50 MiB.
    @discardableResult
    private func checkBodySize(_ inputs: [VideoImageInput]) -> Bool {
        let files = inputs.compactMap { input -> String? in if case .file(let path) = input { path } else { nil } }
        let field = entry.field("references") ?? entry.field("firstFrame") ?? entry.field("lastFrame")
        return InputFiles(entry: entry).fitOneRequest(files, at: field, offersDownscale: false)
    }

    /// Each model against what it takes: the cached video model list, else the built-in
    /// table. A model the cached list does not have is an error, with a "did you mean".
    private func checkModels(
        _ models: [ModelRef], durations: [Int], aspectRatios: [String], resolutions: [String], size: String?, generateAudio: Bool?,
        seed: Int64?, firstFrame: Located?, lastFrame: Located?
    ) {
        guard let modelField = entry.field("model") else { return }
        let listed = entry.catalog?.videos ?? [:]
        for model in models {
            let known: VideoModelInfo
            if !listed.isEmpty {
                guard let info = listed[model.wireID] else {
                    entry.report(modelField, value: .string(model.wireID), "OpenRouter's video model list has no such model" + ModelSuggestion.hint(model.wireID, among: listed.keys))
                    continue
                }
                known = info
            } else if let info = VideoModelInfo.builtIn[model.wireID] {
                known = info
            } else {
                continue  // offline, and not a model the built-in table knows: OpenRouter decides
            }
            func check(_ key: String, _ values: [String], _ allowed: [String]?, _ what: String) {
                guard let allowed, let located = entry.field(key) else { return }
                for value in values where !allowed.contains(value) {
                    entry.report(located, value: .string(value), "\(model.wireID) does not offer \(what) \(value) (it offers \(allowed.joined(separator: " ")))")
                }
            }
            if let allowed = known.durations, let located = entry.field("duration") {
                for value in durations where !allowed.contains(value) {
                    entry.report(located, value: .int(Int64(value)), "\(model.wireID) does not offer \(value) s (it offers \(allowed.map(String.init).joined(separator: ", ")) s)")
                }
            }
            check("resolution", resolutions, known.resolutions, "resolution")
            check("aspectRatio", aspectRatios, known.aspectRatios, "aspect ratio")
            check("size", size.map { [$0] } ?? [], known.sizes, "size")
            for (located, type) in [(firstFrame, "first_frame"), (lastFrame, "last_frame")] {
                guard let located, let allowed = known.frameImages, !allowed.contains(type) else { continue }
                let offered = allowed.isEmpty ? "no frame images" : allowed.joined(separator: ", ")
                entry.report(located, "\(model.wireID) does not take a \(type == "first_frame" ? "first" : "last") frame image (it takes \(offered))")
            }
            if generateAudio == true, known.generateAudio == false, let located = entry.field("generateAudio") {
                entry.report(located, "\(model.wireID) does not generate audio")
            }
            if seed != nil, known.seed == false, let located = entry.field("seed") {
                entry.report(located, "\(model.wireID) does not take a seed")
            }
        }
    }
}
