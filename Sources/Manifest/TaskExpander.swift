import Files
import JSON
import ManifestDiagnostics
import Media
import Support
import Tasks

/// Turns one task entry of a manifest into concrete tasks: applies `defaults`, multiplies
/// lists and template variables, fills `{var}` templates, and names every result with a
/// stable id and output path. Dispatches on the entry's `type`.
package struct TaskExpander {
    package let header: ManifestHeader
    package var catalog: ModelCatalog? = nil
    /// Whether the expansion looks for things worth a warning (a script line whose speaker
    /// the script does not name): validation does, once per entry; the run's re-expansions,
    /// whose warnings nobody reads, do not.
    package var findsWarnings = false
    private let modelRefs = ModelRefMemo()

    package init(header: ManifestHeader, catalog: ModelCatalog? = nil, findsWarnings: Bool = false) {
        self.header = header
        self.catalog = catalog
        self.findsWarnings = findsWarnings
    }

    package func expand(_ entry: JSON, path: FieldPath, line: Int?, ordinal: Int, issues: IssueCollector, row: Row? = nil) -> [MediaTask] {
        let reader = FieldReader(issues: issues, line: line)
        guard let object = reader.object(entry, at: path) else { return [] }
        let type = object["type"].flatMap { reader.string($0, at: path.appending("type"), what: "the task type") } ?? "image"
        switch type {
        case "image":
            let entry = EntryReader(header: header, object: object, path: path, line: line, ordinal: ordinal, issues: issues, section: "image", catalog: catalog, modelRefs: modelRefs, row: row)
            return ImageTaskExpander(entry: entry).expand()
        case "tts":
            let entry = EntryReader(header: header, object: object, path: path, line: line, ordinal: ordinal, issues: issues, section: "tts", catalog: catalog, modelRefs: modelRefs, row: row)
            return SpeechTaskExpander(entry: entry, findsWarnings: findsWarnings).expand()
        case "video":
            let entry = EntryReader(header: header, object: object, path: path, line: line, ordinal: ordinal, issues: issues, section: "video", catalog: catalog, modelRefs: modelRefs, row: row)
            return VideoTaskExpander(entry: entry).expand()
        default:
            issues.add(path.appending("type"), line: line, value: .string(type), "unknown task type (expected \"image\", \"tts\" or \"video\")")
            return []
        }
    }
}

/// Expands an image entry: lists in `prompt`, `model`, `aspectRatio` and `resolution`
/// multiply it, and so does `count`.
package struct ImageTaskExpander {
    package let entry: EntryReader

    /// Placeholders an output template may use besides the manifest's vars.
    package static let outputBuiltins: Set<String> = ["id", "n", "model", "aspectRatio", "resolution"]

    package func expand() -> [MediaTask] {
        let issues = entry.issues
        let before = issues.issues.count
        entry.rejectUnknownKeys(allowed: ImageFields.all, kind: "an image task")
        _ = entry.bool("optional")  // read at load; its type is checked here

        let parts = PromptParts(entry: entry)
        let prompts = parts.prompts
        let names = entry.nameTemplates()
        let models = entry.models("model")
        let aspectRatios = entry.optionalStrings("aspectRatio", what: "aspect ratio")
        let resolutions = entry.optionalStrings("resolution", what: "resolution")
        let count = entry.integer("count", range: 1...ImageFields.maxCount) ?? 1
        let imageConfig = entry.object("imageConfig")
        let provider = entry.object("provider").map(JSON.object)
        var fallbackModels: [String]?
        if let list = entry.field("models") {
            if case .array(let items) = list.value, items.allSatisfy({ $0.stringValue != nil }) {
                fallbackModels = items.compactMap(\.stringValue)
            } else {
                entry.report(list, "must be a list of model ids (OpenRouter's fallback list)")
            }
        }
        let referenceField = entry.object["inputImages"].map { Located(value: $0, in: entry.path, key: "inputImages", line: entry.line) }
        let downscaleInputs = entry.bool("downscaleInputs") ?? false
        let inputFiles = InputFiles(entry: entry, downscale: downscaleInputs)
        let references = referenceField.map { inputFiles.imageReferences($0) } ?? []
        let inputImageCount = references.count
        let api = self.api(models: models)
        let options = imagesOptions(api: api)
        checkImageOptions(api: api, models: models, aspectRatios: aspectRatios, resolutions: resolutions)
        checkCatalog(api: api, models: models, aspectRatios: aspectRatios, resolutions: resolutions, options: options, references: inputImageCount)
        // On /images one request can return `count` images (`n`), where the model allows it.
        let perRequest = imagesPerRequest(api: api, models: models, count: count)
        let repeats = perRequest > 1 ? 1 : count

        guard let names else { return [] }
        let texts = parts.templates + references.map { ($0.template, "inputImages") }
        let variables = entry.variables(id: names.id, output: names.output, texts: texts, outputBuiltins: Self.outputBuiltins)
        guard issues.issues.count == before else { return [] }

        let axes = [
            Axis(name: "p", values: Array(prompts.indices)) { "p\($0 + 1)" },
            Axis(name: "model", values: models) { PortableName.sanitise($0.shortName) },
            Axis(name: "aspectRatio", values: aspectRatios) { ($0 ?? "").replacingColons() },
            Axis(name: "resolution", values: resolutions) { ($0 ?? "").lowercased() },
            Axis(name: "n", values: Array(1...repeats)) { String($0) },
        ]
        let namer = VariantNamer(header: entry.header, ordinal: entry.ordinal, idTemplate: names.id, outputTemplate: names.output, variables: variables, row: entry.row)
        guard namer.withinBounds(axes: axes, entry: entry) else { return [] }
        let variants = (namer.plainVariant(axes: axes) ?? namer.singleRowVariant(axes: axes)).map { [$0] } ?? namer.variants(axes: axes) { choices in
            ["n": String(choices[4] + 1), "model": PortableName.sanitise(models[choices[1]].shortName),
             "aspectRatio": aspectRatios[choices[2]]?.replacingColons() ?? "", "resolution": resolutions[choices[3]]?.lowercased() ?? ""]
        }
        guard let variants else {
            entry.reportBadOutputName()
            return []
        }
        var resolvedReferences: [String: String] = [:]
        return variants.compactMap { variant in
            let choice = variant.choices
            // References named by a template (`"inputImages": "photos/{sku}.png"`) resolve per variant.
            var inputImages: [String] = []
            for (index, reference) in references.enumerated() {
                if let path = reference.resolved {
                    inputImages.append(path)
                    continue
                }
                let name = reference.template.render(variant.values)
                if let path = resolvedReferences[name] ?? inputFiles.resolveImage(name, at: referenceField!, index: index) {
                    resolvedReferences[name] = path
                    inputImages.append(path)
                } else {
                    return nil
                }
            }
            let prompt = parts.render(choice[0], variant.values)
            guard parts.promptFile != nil || entry.nonEmpty(prompt, key: "prompt", index: prompts.count > 1 ? choice[0] : nil, what: "prompt") else { return nil }
            guard inputFiles.fitOneRequest(inputImages, at: referenceField) else { return nil }
            var task = ImageTask(
                id: variant.id, manifestName: entry.header.name, origin: entry.origin,
                output: OutputTarget(folder: entry.header.outputFolder, baseName: variant.baseName),
                prompt: prompt, model: models[choice[1]],
                aspectRatio: aspectRatios[choice[2]], resolution: resolutions[choice[3]],
                imageConfig: imageConfig, provider: provider, fallbackModels: fallbackModels,
                inputImages: inputImages, variant: choice[4] + 1)
            if case .string? = referenceField?.value { task.referenceListed = false }
            task.api = api
            task.modalities = modalities(for: models[choice[1]])
            task.imagesPerRequest = perRequest
            task.seed = options.seed
            task.size = options.size
            task.quality = options.quality
            task.outputFormat = options.outputFormat
            task.background = options.background
            task.reasoning = models[choice[1]].isAuto ? nil : options.reasoning
            task.downscaleInputs = downscaleInputs
            return .image(task)
        }
    }

    /// `chat`, `images`, or `auto`: /images when the cached capability list knows every
    /// model of the entry, chat otherwise (and always chat when nothing is cached).
    private func api(models: [ModelRef]) -> ImageAPI {
        guard let located = entry.field("api") else { return .chat }
        if located.value.stringValue == "auto" {
            guard let catalog = entry.catalog, !models.isEmpty, models.allSatisfy({ catalog.images[$0.wireID] != nil }) else { return .chat }
            return .images
        }
        guard let text = located.value.stringValue, let api = ImageAPI(rawValue: text) else {
            entry.report(located, "api must be \"chat\" (POST /chat/completions), \"images\" (POST /images) or \"auto\"")
            return .chat
        }
        return api
    }

    /// The /images path's own options (and `reasoning`, which both paths carry).
    private func imagesOptions(api: ImageAPI) -> (seed: Int64?, size: String?, quality: String?, outputFormat: String?, background: String?, reasoning: JSON?) {
        func choice(_ key: String, _ allowed: [String]) -> String? {
            guard let located = entry.field(key) else { return nil }
            if api == .chat {
                entry.report(located, "\(key) applies to the /images path only (set \"api\": \"images\")")
                return nil
            }
            guard let text = located.value.stringValue, allowed.contains(text) else {
                entry.report(located, "\(key) must be one of: \(allowed.joined(separator: ", "))")
                return nil
            }
            return text
        }
        var seed: Int64?
        if let located = entry.field("seed") {
            if api == .chat { entry.report(located, "seed applies to the /images path only (set \"api\": \"images\")") }
            else if let value = located.value.intValue, located.value.doubleValue == Double(value) { seed = value }
            else { entry.report(located, "seed must be a whole number") }
        }
        var size: String?
        if let located = entry.field("size") {
            if api == .chat { entry.report(located, "size applies to the /images path only (set \"api\": \"images\")") }
            else if let text = located.value.stringValue, ImageTaskExpander.isSize(text) { size = text }
            else { entry.report(located, "size must be a tier (512, 1K, 2K, 4K) or pixels like 2048x1152") }
        }
        let quality = choice("quality", ImageOptions.qualities)
        let outputFormat = choice("outputFormat", ImageOptions.outputFormats)
        let background = choice("background", ImageOptions.backgrounds)
        if background == "transparent", outputFormat == "jpeg", let located = entry.field("background") {
            entry.report(located, "a transparent background needs outputFormat png or webp")
        }
        var reasoning: JSON?
        if let located = entry.field("reasoning"), api == .images {
            entry.report(located, "reasoning applies to the chat path only (/images takes no reasoning); remove it or set \"api\": \"chat\"")
        } else if let located = entry.field("reasoning") {
            switch located.value {
            case .string(let effort) where ImageOptions.reasoningEfforts.contains(effort): reasoning = ["effort": .string(effort)]
            case .int(let budget) where budget > 0: reasoning = ["max_tokens": .int(budget)]
            case .object(let object) where !object.isEmpty: reasoning = .object(object)
            default: entry.report(located, "reasoning is an effort (\(ImageOptions.reasoningEfforts.joined(separator: ", "))), a token budget, or an object")
            }
        }
        return (seed, size, quality, outputFormat, background, reasoning)
    }

    package static func isSize(_ text: String) -> Bool {
        if ["512", "0.5K", "1K", "2K", "4K"].contains(text) { return true }
        let sides = text.split(separator: "x")
        return sides.count == 2 && sides.allSatisfy { Int($0).map { (64...8192).contains($0) } ?? false }
    }

    /// Aspect ratios and resolutions must be ones OpenRouter offers for each model (on the
    /// chat path) or the /images endpoint's normalized sets.
    private func checkImageOptions(api: ImageAPI, models: [ModelRef], aspectRatios: [String?], resolutions: [String?]) {
        if api == .images {
            if let located = entry.field("aspectRatio") {
                for value in aspectRatios.compactMap({ $0 }) where !ImageOptions.imagesAspectRatios.contains(value) {
                    entry.report(located, value: .string(value), "aspect ratio not offered by /images (allowed: \(ImageOptions.imagesAspectRatios.joined(separator: " ")))")
                }
            }
            if let located = entry.field("resolution") {
                for value in resolutions.compactMap({ $0 }) where !ImageOptions.imagesResolutions.contains(value) {
                    entry.report(located, value: .string(value), "resolution not offered by /images (allowed: 512 1K 2K 4K)")
                }
            }
            return
        }
        checkChatHints(models: models, aspectRatios: aspectRatios, resolutions: resolutions)
    }
}

/// Files a task reads (reference images, narration text), confined to the manifest's
/// folder: a path may not climb out of it, directly or through a symlink.
package struct InputFiles {
    package let entry: EntryReader
    /// `downscaleInputs`: reference files over OpenRouter's limits are accepted (up to
    /// `ImageFields.maxDownscaleSourceBytes`) and shrunk by the run.
    package var downscale = false

    /// The resolved path of a file named relative to the manifest, or nil (reported).
    package func resolve(_ name: String, at located: Located, index: Int?, what: String, limit: Int, fix: String = "") -> String? {
        guard !name.contains("\u{0}"), !name.hasPrefix("/") else {
            entry.report(located, index: index, value: .string(name), "\(what)s are paths relative to the manifest's folder")
            return nil
        }
        let directory = entry.header.directory
        guard let real = FileIO.realPath(directory + "/" + name) else {
            entry.report(located, index: index, value: .string(name), "\(what) not found (looked in \(directory))")
            return nil
        }
        guard entry.header.isAllowedInput(real) else {
            entry.report(located, index: index, value: .string(name), "\(what) lies outside the manifest's folder (and the --input-root folders)")
            return nil
        }
        guard FileIO.isRegularFile(real), let size = FileIO.size(real), size <= limit else {
            let most = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit / 1_000_000) MB"
            entry.report(located, index: index, value: .string(name), "\(what) must be a regular file of at most \(most)\(fix)")
            return nil
        }
        return real
    }

    /// Reference images, all sent with each request: local files or http(s) URLs. A name
    /// without placeholders is resolved (and checked) now; one with `{var}` placeholders
    /// multiplies the task over the variable's values and is resolved per variant.
    package func imageReferences(_ located: Located) -> [(template: Template, resolved: String?)] {
        guard let names = FieldReader(issues: entry.issues, line: located.line).strings(located.value, at: located.path, what: "image path") else { return [] }
        if names.count > ImageFields.maxInputImages {
            entry.report(located, "at most \(ImageFields.maxInputImages) reference images per task")
        }
        return names.enumerated().compactMap { index, name in
            guard let template = entry.template(name, at: located, index: index) else { return nil }
            if !template.names.isEmpty { return (template, nil) }
            return resolveImage(name, at: located, index: index).map { (template, $0) }
        }
    }

    /// Whether reference images of these paths fit one request body (50 MiB, base64);
    /// reported at the field when they do not. `offersDownscale`: whether the task takes
    /// `downscaleInputs` (a video task does not), so the message tells it.
    package func fitOneRequest(_ paths: [String], at located: Located?, offersDownscale: Bool = true) -> Bool {
        // Shrunk by the run to fit (`ImageFields.downscaleTarget`).
        guard let located, !paths.isEmpty, !downscale else { return true }
        let sizes = paths.filter { !$0.hasPrefix("http://") && !$0.hasPrefix("https://") && !TaskReference.looksLikeReference($0) }.compactMap(FileIO.size)
        guard ImageFields.encodedBytes(sizes) > ImageFields.maxRequestBodyBytes else { return true }
        let fix = offersDownscale ? ", or set \"downscaleInputs\": true to have them shrunk" : ""
        entry.report(located, "these images make a request body over OpenRouter's 50 MiB limit (\(ImageFields.encodedBytes(sizes) >> 20) MiB as base64); use fewer or smaller images\(fix)")
        return false
    }

    /// `offersDownscale`: whether the task takes `downscaleInputs` (a video task does not),
    /// so a file over the limit is told to set it.
    package func resolveImage(_ name: String, at located: Located, index: Int, offersDownscale: Bool = true) -> String? {
        if name.hasPrefix("http://") || name.hasPrefix("https://") { return name }
        if let reference = TaskReference(parsing: name, field: "inputImages", index: nil) {
            // Another task's output: checked against the batch's tasks once all are known
            // (`TaskChains`), resolved to its file when the run has it.
            guard reference.isWellFormed else {
                entry.report(located, index: index, value: .string(name), "a task reference is @<task id> or @<task id>#<n> (n from 1, the n-th image of that task); a file whose name starts with @ is written ./@name")
                return nil
            }
            return name
        }
        let path = downscale
            ? resolve(name, at: located, index: index, what: "reference image", limit: ImageFields.maxDownscaleSourceBytes)
            : resolve(
                name, at: located, index: index, what: "reference image", limit: ImageFields.maxInputImageBytes,
                fix: offersDownscale ? " (OpenRouter's limit), or set \"downscaleInputs\": true to have it shrunk" : " (OpenRouter's limit); make it smaller")
        // A file that is not an image would fail only when its task is sent, after the rest
        // of the batch was paid for: its first bytes are checked now.
        if let path, !isImage(path) {
            entry.report(located, index: index, value: .string(name), "reference image \(name) is not a PNG, JPEG, WebP or GIF image (by its first bytes)")
            return nil
        }
        return path
    }

    /// Whether the file at `path` begins like an image (by its first bytes), asked of the
    /// disk once per manifest.
    private func isImage(_ path: String) -> Bool {
        if let known = entry.header.imageSniffs.withLock({ $0[path] }) { return known }
        let image = FileIO.readPrefix(path, count: 16).map { ImageFormat.sniff($0) != nil } ?? false
        entry.header.imageSniffs.withLock { $0[path] = image }
        return image
    }
}
