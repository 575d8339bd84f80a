import Files
import JSON
import ManifestDiagnostics
import Support

/// Everything in a manifest except its tasks: its name, where its files go, the defaults
/// every task inherits and the template variables. A class (immutable but for a locked memo, so `Sendable` as
/// is): every task slot's reader holds it, and a copy is one reference, not ten.
public final class ManifestHeader: Sendable {
    public let file: String
    /// Whether a reference file (by its real path) begins like an image: read once per
    /// manifest, not once for each of the thousands of tasks (rows) that may share it.
    package let imageSniffs = Locked<[String: Bool]>([:])
    /// `file` made absolute: what a journal record names the manifest by.
    public var absoluteFile: String { FileIO.absolute(file) }
    /// Absolute folder of the manifest: relative input paths start here and may not leave it.
    public let directory: String
    /// `directory` with symlinks resolved: the bound input files must stay within.
    package let realDirectory: String
    public let name: String
    /// Absolute output folder: `<output root>/<output or name>`.
    public let outputFolder: String
    /// The output root it lies in.
    public let outputRoot: String
    /// `defaults.image` and `defaults.tts`, with the path of each key for error messages.
    package let defaults: [String: [(key: String, value: JSON, path: FieldPath)]]
    /// Template variables, each a list of values, in document order.
    package let vars: [(name: String, values: [String])]
    /// Groups of variables that advance together instead of multiplying (`zip`).
    package let zips: [[String]]
    /// Folders besides `realDirectory` that input files may lie in (`--input-root`).
    package let inputRoots: [String]

    package static let topLevelKeys: Set<String> = ["$schema", "version", "name", "output", "defaults", "vars", "zip", "rows", "tasks"]
    /// The defaults sections and the task fields each may set.
    package static let defaultsSections: [String: Set<String>] = ["image": ImageFields.defaultable, "tts": SpeechFields.defaultable, "video": VideoFields.defaultable]
    /// Names a manifest's vars may not take: the naming axes, the built-in variables and the
    /// columns a file pattern gives (docs/manifest.md lists them).
    package static let reservedNames: Set<String> = [
        "id", "n", "p", "t", "model", "aspectRatio", "resolution", "voice", "speed", "date", "time", "run", "file", "stem",
    ]

    package init(object: JSONObject, file: String, outputRoot: String, issues: IssueCollector, context: ManifestContext = ManifestContext()) {
        self.file = file
        inputRoots = context.inputRoots
        let absoluteFile = FileIO.absolute(file)
        directory = FileIO.directory(of: absoluteFile)
        realDirectory = FileIO.realPath(directory) ?? directory

        for key in object.keys where !ManifestHeader.topLevelKeys.contains(key) {
            issues.add(FieldPath([.key(key)]), "unknown field (expected one of: \(ManifestHeader.topLevelKeys.sorted().joined(separator: ", ")))")
        }
        if let version = object["version"], version != .int(1) {
            issues.add(FieldPath([.key("version")]), value: version, "unsupported manifest version (this mediabatch reads version 1)")
        }

        // The file name without its extension: `batch.part1.jsonl` is `batch.part1`.
        let fileName = file == ManifestPaths.standardInput ? "stdin" : FileIO.lastComponent(absoluteFile)
        let fileStem = fileName.lastIndex(of: ".").map { String(fileName[..<$0]) }.flatMap { $0.isEmpty ? nil : $0 } ?? fileName
        var name = fileStem
        switch object["name"] {
        case nil: break
        case .string(let text) where !text.trimmingWhitespace().isEmpty: name = text
        case let other?: issues.add(FieldPath([.key("name")]), value: other, "must be a non-empty string")
        }
        self.name = name

        var folder = PortableName.sanitise(name)
        if folder.isEmpty { folder = PortableName.sanitise(fileStem).isEmpty ? "manifest" : PortableName.sanitise(fileStem) }
        switch object["output"] {
        case nil: break
        case .string(let text):
            if let relative = PortableName.relativePath(text) { folder = relative } else {
                issues.add(FieldPath([.key("output")]), value: .string(text), "must be a relative folder inside the output root (no '..', not absolute, at most \(PortableName.maxPathLength) bytes)")
            }
        case let other?: issues.add(FieldPath([.key("output")]), value: other, "must be a string naming a folder under the output root")
        }
        outputFolder = outputRoot + "/" + folder
        self.outputRoot = outputRoot

        var sections: [String: [(key: String, value: JSON, path: FieldPath)]] = [:]
        switch object["defaults"] {
        case nil: break
        case .object(let defaults):
            for (section, value) in defaults {
                let path = FieldPath([.key("defaults"), .key(section)])
                guard let allowed = ManifestHeader.defaultsSections[section] else {
                    issues.add(path, "unknown defaults section (expected: \(ManifestHeader.defaultsSections.keys.sorted().joined(separator: ", ")))")
                    continue
                }
                guard case .object(let fields) = value else {
                    issues.add(path, value: value, "must be an object of \(section) task fields")
                    continue
                }
                for (field, fieldValue) in fields {
                    let fieldPath = path.appending(field)
                    if allowed.contains(field) {
                        sections[section, default: []].append((field, fieldValue, fieldPath))
                    } else {
                        issues.add(fieldPath, "not allowed in defaults.\(section) (allowed: \(allowed.sorted().joined(separator: ", ")))")
                    }
                }
            }
        case let other?: issues.add(FieldPath([.key("defaults")]), value: other, "must be an object")
        }
        self.defaults = sections

        var vars: [(name: String, values: [String])] = []
        switch object["vars"] {
        case nil: break
        case .object(let object):
            for (name, value) in object {
                let path = FieldPath([.key("vars"), .key(name)])
                guard Template.isIdentifier(name), !ManifestHeader.reservedNames.contains(name) else {
                    issues.add(path, "variable names are letters, digits, '_' and '-', and not one of \(ManifestHeader.reservedNames.sorted().joined(separator: ", "))")
                    continue
                }
                let items: [JSON] = value.arrayValue ?? [value]
                var values: [String] = []
                for (index, item) in items.enumerated() {
                    switch item {
                    case .string(let text): values.append(text)
                    case .int(let number): values.append(String(number))
                    case .double(let number): values.append(String(number))
                    default: issues.add(value.arrayValue == nil ? path : path.appending(index), value: item, "a variable's values are strings or numbers")
                    }
                }
                if items.isEmpty { issues.add(path, value: value, "a variable needs at least one value") }
                vars.append((name, values))
            }
        case let other?: issues.add(FieldPath([.key("vars")]), value: other, "must be an object of named lists")
        }
        self.vars = ManifestHeader.withContext(vars, context)
        zips = ManifestHeader.zipGroups(object["zip"], vars: self.vars, issues: issues)
    }

    package func values(of variable: String) -> [String]? { vars.first(where: { $0.name == variable })?.values }
}
