import Glibc

/// What an invocation adds to every manifest it reads: `--var name=value` settings, the
/// built-in variables `{date}`, `{time}` and `{run}` (the run's start, in local time unless
/// `--utc`), and the folders beyond each manifest's own that input files may come from
/// (`--input-root`).
public struct ManifestContext: Sendable, Equatable {
    /// `--var` settings in order; each sets or overrides a variable of every manifest.
    public var variables: [(name: String, value: String)]
    /// The run's start, seconds since the epoch.
    public var start: Int
    public var utc: Bool
    /// Absolute folders, symlinks resolved, that input files may also lie in.
    public var inputRoots: [String]

    public init(variables: [(name: String, value: String)] = [], start: Int = Int(time(nil)), utc: Bool = false, inputRoots: [String] = []) {
        self.variables = variables
        self.start = start
        self.utc = utc
        self.inputRoots = inputRoots
    }

    public static func == (lhs: ManifestContext, rhs: ManifestContext) -> Bool {
        lhs.start == rhs.start && lhs.utc == rhs.utc && lhs.inputRoots == rhs.inputRoots
            && lhs.variables.map(\.name) == rhs.variables.map(\.name) && lhs.variables.map(\.value) == rhs.variables.map(\.value)
    }

    /// The names the built-in variables take.
    public static let builtinNames = ["date", "time", "run"]

    /// `date` = `YYYY-MM-DD`, `time` = `HHMMSS`, `run` = `YYYY-MM-DDTHHMMSS` (no colons: they
    /// go into file names).
    public var builtins: [(name: String, value: String)] {
        var seconds = time_t(start)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let date = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        let clock = two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec)
        return [("date", date), ("time", clock), ("run", date + "T" + clock)]
    }

    /// Parses one `--var` argument, `name=value`; nil when it has no `=` or a bad name.
    public static func parseVariable(_ argument: String) -> (name: String, value: String)? {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        let name = String(argument[..<equals])
        guard Template.isIdentifier(name) else { return nil }
        return (name, String(argument[argument.index(after: equals)...]))
    }
}
