import Foundation
import Testing
import TestSupport

/// Issue 16: no container engine runs here, so the Dockerfile cannot be built; instead, the
/// run stage must install the Debian package owning every shared library the binary loads
/// (or one that depends on it), leaving out the Swift runtime, which the release build links
/// in statically (`--static-swift-stdlib`).
@Suite struct ContainerRecipeTests {
    static var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The packages the run stage's `apt-get install` names.
    static func runStagePackages() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let stage = try #require(text.components(separatedBy: "FROM debian:bookworm-slim AS run").last)
        let install = try #require(stage.components(separatedBy: "apt-get install -y --no-install-recommends ").dropFirst().first)
        return Set(install.prefix { $0 != "\\" && $0 != "\n" }.split(separator: " ").map(String.init))
    }

    @Test func theRunStageInstallsThePackageOfEveryLibraryTheBinaryLoads() throws {
        let named = try Self.runStagePackages()
        #expect(named.contains("libcurl4") && named.contains("ca-certificates"))
        // libvips is opened at run time (dlopen, see Sources/CVips): ldd below cannot see it.
        #expect(named.contains("libvips42"), "the run stage must install libvips42, which mediabatch loads on first use")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ldd"), FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-cache") else { return }
        // What the named packages bring with them, Debian's essential ones included.
        let closure = try runTool("/usr/bin/apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                                                         "--no-replaces", "--no-enhances"] + named.sorted(), in: "/")
        var available = named.union(["libc6", "libgcc-s1", "zlib1g"])
        for line in closure.stdout.split(separator: "\n") where !line.hasPrefix(" ") {
            available.insert(String(line).components(separatedBy: ":").first!)
        }
        let ldd = try runTool("/usr/bin/ldd", [mediabatchExecutable()], in: "/")
        #expect(ldd.status == 0, "\(ldd.stderr)")
        var missing: [String] = []
        var checked: Set<String> = []
        for line in ldd.stdout.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 3, parts[1] == "=>" else { continue }
            let name = String(parts[0]), path = String(parts[2])
            // The Swift runtime and Foundation: linked in by --static-swift-stdlib.
            if name.hasPrefix("libswift") || name.hasPrefix("libFoundation") || name.hasPrefix("lib_Foundation")
                || name.hasPrefix("libdispatch") || name.hasPrefix("libBlocksRuntime") { continue }
            // dpkg records /lib or /usr/lib, whichever the package ships: match by name.
            let owner = try runTool("/usr/bin/dpkg", ["-S", "*/" + (path.split(separator: "/").last.map(String.init) ?? name)], in: "/")
            let package = owner.stdout.split(separator: ":").first.map(String.init) ?? "?"
            checked.insert(name)
            if !available.contains(package) { missing.append("\(name) (\(package))") }
        }
        // Something was looked at: libcurl at least, which every build links.
        #expect(checked.contains { $0.hasPrefix("libcurl") }, "ldd listed \(checked)")
        #expect(missing.isEmpty, "the run stage lacks \(missing)")
    }
}
