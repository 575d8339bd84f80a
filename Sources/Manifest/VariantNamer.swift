/// One axis along which an entry multiplies, with the suffix each value adds to names.
package struct Axis {
    package let name: String
    package let suffixes: [String]

    package init(name: String, suffixes: [String]) {
        self.name = name
        self.suffixes = suffixes
    }

    /// An axis over `values`; suffixes are made only when there are several (a single
    /// value never adds one).
    package init<Value>(name: String, values: [Value], suffix: (Value) -> String) {
        self.init(name: name, suffixes: values.count > 1 ? values.map(suffix) : Array(repeating: "", count: values.count))
    }
}

/// One concrete variant of an entry: which value each axis took, the template values, and
/// the stable id and output name it gets.
package struct Variant {
    /// Index chosen on each axis, in axis order.
    package let choices: [Int]
    /// Manifest variables for text templates.
    package let values: [String: String]
    package let id: String
    package let baseName: String
}

/// Names the variants of an entry: every combination of the axes gets an id (the rendered
/// `id` template plus a readable suffix for each axis with several values that the template
/// does not already mention, e.g. `fox-16x9-2`) and an output name built the same way from
/// the `output` template.
package struct VariantNamer {
    package let header: ManifestHeader
    package let ordinal: Int
    package let idTemplate: Template
    package let outputTemplate: Template
    /// Manifest variables in use; they come first among the axes.
    package let variables: [String]
    /// The row this slot expands: its columns are single values, and unless a template names
    /// one of them, the names get the row's number (`-7`).
    package var row: Row? = nil

    /// A variable's values: the row's column, else the manifest's vars.
    package func values(of name: String) -> [String]? {
        if let value = row?.values[name] { return [value] }
        return header.values(of: name)
    }

    /// The variables in use, grouped into axes: a `zip` group advances as one axis.
    package func variableGroups() -> [[String]] {
        var groups: [[String]] = []
        var seen = Set<String>()
        for name in variables where !seen.contains(name) {
            if row?.values[name] == nil, let group = header.zipGroup(of: name) {
                let members = group.filter { variables.contains($0) && row?.values[$0] == nil }
                seen.formUnion(members)
                groups.append(members)
            } else {
                seen.insert(name)
                groups.append([name])
            }
        }
        return groups
    }

    /// The most tasks one entry may expand to: a typo in a list must be an error, not an
    /// out-of-memory.
    package static let maxVariants = 100_000

    /// How many variants `axes` (and the variables) make; saturates instead of overflowing.
    package func count(axes: [Axis]) -> Int {
        var total = 1
        func multiply(_ size: Int) {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            total = overflow ? Int.max : product
        }
        for group in variableGroups() { multiply(values(of: group[0])?.count ?? 1) }
        for axis in axes { multiply(axis.suffixes.count) }
        return total
    }

    /// Reports an entry that would expand past `maxVariants`; true when it is within bounds.
    package func withinBounds(axes: [Axis], entry: EntryReader) -> Bool {
        let total = count(axes: axes)
        guard total > VariantNamer.maxVariants else { return true }
        entry.issues.add(entry.path, line: entry.line,
                         "this entry expands to \(total == Int.max ? "too many" : String(total)) tasks, more than the \(VariantNamer.maxVariants) one entry may make; split it or shorten its lists")
        return false
    }

    /// Variables become axes of their own, ahead of `axes`.
    package func variants(axes: [Axis], outputValues: ([Int]) -> [String: String]) -> [Variant]? {
        let groups = variableGroups()
        let lists = groups.map { $0.map { values(of: $0)! } }
        let allAxes = zip(groups, lists).map { Axis(name: $0.0[0], suffixes: $0.1[0].map(PortableName.sanitise)) } + axes
        let axisNames = groups + axes.map { [$0.name] }
        let idNames = Set(idTemplate.names)
        let outputNames = Set(outputTemplate.names).union(outputTemplate.names.contains("id") ? idNames.union(["id"]) : [])
        // A row is an axis of its own, mentioned when a template names one of its columns.
        let rowSuffix = row.map { "-\($0.number)" } ?? ""
        // A file's chapter number and title (`chapters`) name its row as well as its columns do.
        let rowColumns = row.map { Set($0.values.keys).union($0.fromPattern ? ["chapter", "chapterTitle"] : []) } ?? []
        var variants: [Variant] = []
        for combination in cartesian(allAxes.map { $0.suffixes.count }) {
            var values: [String: String] = row?.values ?? [:]
            for (index, choice) in combination.prefix(groups.count).enumerated() {
                for (name, list) in zip(groups[index], lists[index]) { values[name] = list[choice] }
            }
            func suffix(excluding names: Set<String>) -> String {
                let axesPart = zip(allAxes.indices, combination)
                    .filter { allAxes[$0.0].suffixes.count > 1 && names.isDisjoint(with: axisNames[$0.0]) }
                    .map { "-" + allAxes[$0.0].suffixes[$0.1] }
                    .joined()
                return (rowColumns.isDisjoint(with: names) ? rowSuffix : "") + axesPart
            }
            var id = PortableName.sanitise(idTemplate.render(values))
            if id.isEmpty { id = "task-\(ordinal)" }
            id += suffix(excluding: idNames)
            let choices = Array(combination[groups.count...])
            var names = values
            names["id"] = id
            for (key, value) in outputValues(choices) { names[key] = value }
            guard let relative = PortableName.relativePath(outputTemplate.render(names)) else { return nil }
            let baseName = relative + (outputNames.contains("id") ? "" : suffix(excluding: outputNames))
            variants.append(Variant(choices: choices, values: values, id: id, baseName: baseName))
        }
        return variants
    }

    /// The single variant of a row that multiplies along nothing (every variable it uses
    /// has one value, every axis one choice): named without the combinations' work, which
    /// is most of a 100,000-row CSV's expansion. Nil otherwise.
    package func singleRowVariant(axes: [Axis]) -> Variant? {
        guard let row, outputTemplate.isIDOnly, axes.allSatisfy({ $0.suffixes.count == 1 }) else { return nil }
        var values = row.values
        for name in variables where values[name] == nil {
            guard let list = header.values(of: name), list.count == 1 else { return nil }
            values[name] = list[0]
        }
        var id = PortableName.sanitise(idTemplate.render(values))
        if id.isEmpty { id = "task-\(ordinal)" }
        if !idTemplate.names.contains(where: { row.values[$0] != nil }) { id += "-\(row.number)" }
        return Variant(choices: Array(repeating: 0, count: axes.count), values: values, id: id, baseName: id)
    }

    /// The single variant of an entry that multiplies along nothing, named without any
    /// dictionary or suffix work (the common case of huge JSONL batches); nil otherwise.
    package func plainVariant(axes: [Axis]) -> Variant? {
        guard variables.isEmpty, row == nil, outputTemplate.isIDOnly, axes.allSatisfy({ $0.suffixes.count == 1 }) else { return nil }
        var id = PortableName.sanitise(idTemplate.render([:]))
        if id.isEmpty { id = "task-\(ordinal)" }
        return Variant(choices: Array(repeating: 0, count: axes.count), values: [:], id: id, baseName: id)
    }
}

/// Every combination of indices for axes of the given sizes, last axis fastest.
package func cartesian(_ sizes: [Int]) -> [[Int]] {
    guard !sizes.contains(0) else { return [] }
    var result: [[Int]] = [[]]
    for size in sizes {
        result = result.flatMap { prefix in (0..<size).map { prefix + [$0] } }
    }
    return result
}

extension String {
    /// `16:9` → `16x9`, for names.
    package func replacingColons() -> String { String(map { $0 == ":" ? "x" : $0 }) }
}
