import JSON
import ManifestDiagnostics

extension ManifestHeader {
    /// `vars` with the invocation's `--var` settings over them and the built-in variables
    /// (`date`, `time`, `run`) where `--var` did not set them.
    static func withContext(_ vars: [(name: String, values: [String])], _ context: ManifestContext) -> [(name: String, values: [String])] {
        var out = vars
        for (name, value) in context.builtins + context.variables {
            if let index = out.firstIndex(where: { $0.name == name }) { out[index].values = [value] } else { out.append((name, [value])) }
        }
        return out
    }

    /// Reads `zip`: a list of groups of variable names (`[["sku", "name"]]`) whose lists
    /// advance together, value 1 with value 1, and so on. Lists of a group must be equally long.
    static func zipGroups(_ value: JSON?, vars: [(name: String, values: [String])], issues: IssueCollector) -> [[String]] {
        guard let value else { return [] }
        let path = FieldPath([.key("zip")])
        guard case .array(let groups) = value else {
            issues.add(path, value: value, "must be a list of groups of variable names, e.g. [[\"sku\", \"name\"]]")
            return []
        }
        var out: [[String]] = []
        var used = Set<String>()
        for (index, group) in groups.enumerated() {
            let groupPath = path.appending(index)
            guard case .array(let items) = group, items.count >= 2, items.allSatisfy({ $0.stringValue != nil }) else {
                issues.add(groupPath, value: group, "a zip group is a list of two or more variable names")
                continue
            }
            let names = items.compactMap(\.stringValue)
            var lengths: [(String, Int)] = []
            for name in names {
                guard let values = vars.first(where: { $0.name == name })?.values else {
                    issues.add(groupPath, value: .string(name), "not a variable of vars")
                    continue
                }
                if !used.insert(name).inserted { issues.add(groupPath, value: .string(name), "a variable may be in one zip group only") }
                lengths.append((name, values.count))
            }
            guard lengths.count == names.count else { continue }
            if Set(lengths.map(\.1)).count > 1 {
                issues.add(groupPath, value: group, "zipped lists must be equally long: " + lengths.map { "\($0.0) has \($0.1)" }.joined(separator: ", "))
                continue
            }
            out.append(names)
        }
        return out
    }

    /// The zip group `name` is in, if any.
    func zipGroup(of name: String) -> [String]? { zips.first { $0.contains(name) } }
}
