/// Turns one task entry of a manifest into concrete tasks: applies `defaults`, multiplies
/// lists (prompt, model, aspectRatio, resolution, template variables) and `count`, fills
/// `{var}` templates, and names every result with a stable id and output path.
struct TaskExpander {
    let header: ManifestHeader

    /// Placeholders an output template may use besides the manifest's vars.
    static let outputBuiltins: Set<String> = ["id", "n", "model", "aspectRatio", "resolution"]

    /// One axis along which an entry multiplies, with the suffix each value adds to names.
    private struct Dimension {
        let name: String
        let suffixes: [String]
    }

    func expand(_ entry: JSON, path: FieldPath, line: Int?, ordinal: Int, issues: IssueCollector) -> [MediaTask] {
        let reader = FieldReader(issues: issues, line: line)
        guard let object = reader.object(entry, at: path) else { return [] }
        let before = issues.issues.count
        let origin = TaskOrigin(file: header.file, line: line)

        let type = object["type"].flatMap { reader.string($0, at: path.appending("type"), what: "the task type") } ?? "image"
        guard type == "image" else {
            issues.add(path.appending("type"), line: line, value: .string(type), "unknown task type (expected \"image\")")
            return []
        }
        for key in object.keys where !ImageFields.all.contains(key) {
            issues.add(path.appending(key), line: line, "unknown field for an image task (expected one of: \(ImageFields.all.sorted().joined(separator: ", ")))")
        }

        /// The entry's own value, else the manifest default, with the path to blame.
        func field(_ key: String) -> (value: JSON, path: FieldPath, line: Int?)? {
            if let value = object[key] { return (value, path.appending(key), line) }
            if let fallback = header.imageDefaults.first(where: { $0.key == key }) { return (fallback.value, fallback.path, nil) }
            return nil
        }
        func readerFor(_ located: (value: JSON, path: FieldPath, line: Int?)) -> FieldReader {
            FieldReader(issues: issues, line: located.line)
        }

        // Prompts and templates.
        var prompts: [Template] = []
        if let prompt = field("prompt") {
            for (index, text) in (readerFor( prompt).strings(prompt.value, at: prompt.path, what: "prompt") ?? []).enumerated() {
                let promptPath = prompt.value.arrayValue == nil ? prompt.path : prompt.path.appending(index)
                if text.trimmingWhitespace().isEmpty { issues.add(promptPath, line: line, value: .string(text), "a prompt may not be empty") }
                if let template = parse(text, at: promptPath, line: line, issues: issues) { prompts.append(template) }
            }
        } else {
            issues.add(path.appending("prompt"), line: line, "missing: an image task needs a prompt")
        }
        let idText = object["id"].flatMap { reader.string($0, at: path.appending("id"), what: "the task id") } ?? "task-\(ordinal)"
        let idTemplate = parse(idText, at: path.appending("id"), line: line, issues: issues)
        let outputText = object["output"].flatMap { reader.string($0, at: path.appending("output"), what: "an output name template") } ?? "{id}"
        let outputTemplate = parse(outputText, at: path.appending("output"), line: line, issues: issues)

        // Models and image hints.
        var models: [ModelRef] = []
        if let model = field("model") {
            for (index, text) in (readerFor( model).strings(model.value, at: model.path, what: "model") ?? []).enumerated() {
                if let ref = ModelRef(text) { models.append(ref) } else {
                    issues.add(model.value.arrayValue == nil ? model.path : model.path.appending(index), line: model.line, value: .string(text),
                               "not a model reference (write openrouter/<provider>/<model>, openrouter/auto or <provider>/<model>)")
                }
            }
        } else {
            issues.add(path.appending("model"), line: line, "missing: set the task's model or defaults.image.model")
        }
        let aspect = field("aspectRatio")
        let aspectRatios: [String?] = aspect.map { readerFor( $0).strings($0.value, at: $0.path, what: "aspect ratio") ?? [] } ?? [nil]
        let resolutionField = field("resolution")
        let resolutions: [String?] = resolutionField.map { readerFor( $0).strings($0.value, at: $0.path, what: "resolution") ?? [] } ?? [nil]
        let count = field("count").flatMap { readerFor( $0).integer($0.value, at: $0.path, range: 1...ImageFields.maxCount) } ?? 1
        let imageConfig = field("imageConfig").flatMap { readerFor( $0).object($0.value, at: $0.path) }
        let provider = field("provider").flatMap { located in readerFor( located).object(located.value, at: located.path).map { JSON.object($0) } }
        var fallbackModels: [String]?
        if let list = field("models") {
            if case .array(let items) = list.value, items.allSatisfy({ $0.stringValue != nil }) {
                fallbackModels = items.compactMap(\.stringValue)
            } else {
                issues.add(list.path, line: list.line, value: list.value, "must be a list of model ids (OpenRouter's fallback list)")
            }
        }
        let inputImages = object["inputImages"].map { resolveInputImages($0, at: path.appending("inputImages"), line: line, issues: issues) } ?? []

        for model in models {
            if let aspect {
                for value in aspectRatios.compactMap({ $0 }) where !ImageOptions.allowedAspectRatios(for: model).contains(value) {
                    issues.add(aspect.path, line: aspect.line, value: .string(value),
                               "aspect ratio not offered for \(model) (allowed: \(ImageOptions.allowedAspectRatios(for: model).joined(separator: " ")))")
                }
            }
            if let resolutionField {
                for value in resolutions.compactMap({ $0 }) where !ImageOptions.allowedResolutions(for: model).contains(value) {
                    issues.add(resolutionField.path, line: resolutionField.line, value: .string(value),
                               "resolution not offered for \(model) (allowed: \(ImageOptions.allowedResolutions(for: model).joined(separator: " ")))")
                }
            }
        }

        // Which variables the templates use, and whether they exist.
        guard let idTemplate, let outputTemplate else { return [] }
        var variableNames: [String] = []
        for (template, fieldName, allowed) in [(idTemplate, "id", Set<String>())] + prompts.map({ ($0, "prompt", Set<String>()) }) + [(outputTemplate, "output", TaskExpander.outputBuiltins)] {
            for name in template.names where !variableNames.contains(name) && !allowed.contains(name) {
                if header.values(of: name) == nil {
                    issues.add(path.appending(fieldName), line: line, value: .string("{\(name)}"),
                               "unknown template variable (define it in vars\(allowed.isEmpty ? "" : ", or use one of \(allowed.sorted().joined(separator: ", "))"))")
                } else {
                    variableNames.append(name)
                }
            }
        }
        guard issues.issues.count == before else { return [] }

        // The common case of huge JSONL batches: one plain task, nothing to multiply.
        if variableNames.isEmpty, prompts.count == 1, models.count == 1, aspectRatios.count == 1, resolutions.count == 1, count == 1,
            outputTemplate.isIDOnly
        {
            var id = PortableName.sanitise(idTemplate.render([:]))
            if id.isEmpty { id = "task-\(ordinal)" }
            return [.image(ImageTask(
                id: id, manifestName: header.name, origin: origin,
                output: OutputTarget(folder: header.outputFolder, baseName: id),
                prompt: prompts[0].render([:]), model: models[0], aspectRatio: aspectRatios[0], resolution: resolutions[0],
                imageConfig: imageConfig, provider: provider, fallbackModels: fallbackModels,
                inputImages: inputImages, variant: 1))]
        }

        // The axes this entry multiplies along.
        var dimensions: [Dimension] = variableNames.map { name in
            Dimension(name: name, suffixes: header.values(of: name)!.map { PortableName.sanitise($0) })
        }
        dimensions.append(Dimension(name: "p", suffixes: prompts.indices.map { "p\($0 + 1)" }))
        dimensions.append(Dimension(name: "model", suffixes: models.map { PortableName.sanitise($0.shortName) }))
        dimensions.append(Dimension(name: "aspectRatio", suffixes: aspectRatios.map { ($0 ?? "").replacingColons() }))
        dimensions.append(Dimension(name: "resolution", suffixes: resolutions.map { ($0 ?? "").lowercased() }))
        dimensions.append(Dimension(name: "n", suffixes: (1...count).map(String.init)))

        let idNames = Set(idTemplate.names)
        let outputNames = Set(outputTemplate.names).union(outputTemplate.names.contains("id") ? idNames.union(["id"]) : [])
        var tasks: [MediaTask] = []
        for combination in cartesian(dimensions.map { $0.suffixes.count }) {
            var values: [String: String] = [:]
            for (dimension, choice) in zip(dimensions, combination) where variableNames.contains(dimension.name) {
                values[dimension.name] = header.values(of: dimension.name)![choice]
            }
            let (promptIndex, modelIndex, aspectIndex, resolutionIndex, variant) =
                (combination[variableNames.count], combination[variableNames.count + 1], combination[variableNames.count + 2],
                 combination[variableNames.count + 3], combination[variableNames.count + 4] + 1)

            func suffix(excluding names: Set<String>) -> String {
                zip(dimensions, combination)
                    .filter { $0.0.suffixes.count > 1 && !names.contains($0.0.name) }
                    .map { "-" + $0.0.suffixes[$0.1] }
                    .joined()
            }
            var id = PortableName.sanitise(idTemplate.render(values))
            if id.isEmpty { id = "task-\(ordinal)" }
            id += suffix(excluding: idNames)
            var outputValues = values
            outputValues["id"] = id
            outputValues["n"] = String(variant)
            outputValues["model"] = PortableName.sanitise(models[modelIndex].shortName)
            outputValues["aspectRatio"] = aspectRatios[aspectIndex]?.replacingColons() ?? ""
            outputValues["resolution"] = resolutions[resolutionIndex]?.lowercased() ?? ""
            guard let relative = PortableName.relativePath(outputTemplate.render(outputValues)) else {
                issues.add(path.appending("output"), line: line, value: .string(outputText), "the output name must be a relative path inside the output folder")
                return []
            }
            let baseName = relative + (outputNames.contains("id") ? "" : suffix(excluding: outputNames))
            tasks.append(.image(ImageTask(
                id: id, manifestName: header.name, origin: origin,
                output: OutputTarget(folder: header.outputFolder, baseName: baseName),
                prompt: prompts[promptIndex].render(values), model: models[modelIndex],
                aspectRatio: aspectRatios[aspectIndex], resolution: resolutions[resolutionIndex],
                imageConfig: imageConfig, provider: provider, fallbackModels: fallbackModels,
                inputImages: inputImages, variant: variant)))
        }
        return tasks
    }

    private func parse(_ text: String, at path: FieldPath, line: Int?, issues: IssueCollector) -> Template? {
        do { return try Template(text) } catch {
            issues.add(path, line: line, value: .string(text), error.message)
            return nil
        }
    }

    /// Reference images: files relative to the manifest, which must exist inside its folder.
    private func resolveInputImages(_ value: JSON, at path: FieldPath, line: Int?, issues: IssueCollector) -> [String] {
        let reader = FieldReader(issues: issues, line: line)
        guard let names = reader.strings(value, at: path, what: "image path") else { return [] }
        if names.count > ImageFields.maxInputImages {
            issues.add(path, line: line, value: value, "at most \(ImageFields.maxInputImages) reference images per task")
        }
        let root = FileIO.realPath(header.directory) ?? header.directory
        var resolved: [String] = []
        for (index, name) in names.enumerated() {
            let itemPath = value.arrayValue == nil ? path : path.appending(index)
            if name.hasPrefix("http://") || name.hasPrefix("https://") {
                resolved.append(name)
                continue
            }
            guard !name.contains("\u{0}"), !name.hasPrefix("/") else {
                issues.add(itemPath, line: line, value: .string(name), "reference images are paths relative to the manifest's folder")
                continue
            }
            guard let real = FileIO.realPath(header.directory + "/" + name) else {
                issues.add(itemPath, line: line, value: .string(name), "reference image not found (looked in \(header.directory))")
                continue
            }
            guard real.hasPrefix(root + "/") else {
                issues.add(itemPath, line: line, value: .string(name), "reference image lies outside the manifest's folder")
                continue
            }
            guard FileIO.isRegularFile(real), let size = FileIO.size(real), size <= ImageFields.maxInputImageBytes else {
                issues.add(itemPath, line: line, value: .string(name), "reference image must be a regular file of at most \(ImageFields.maxInputImageBytes >> 20) MiB")
                continue
            }
            resolved.append(real)
        }
        return resolved
    }
}

/// Every combination of indices for axes of the given sizes, last axis fastest.
func cartesian(_ sizes: [Int]) -> [[Int]] {
    guard !sizes.contains(0) else { return [] }
    var result: [[Int]] = [[]]
    for size in sizes {
        result = result.flatMap { prefix in (0..<size).map { prefix + [$0] } }
    }
    return result
}

extension String {
    /// `16:9` → `16x9`, for names.
    func replacingColons() -> String { String(map { $0 == ":" ? "x" : $0 }) }
}
