import Foundation
import Manifest
import Testing

/// Every `@unchecked Sendable` in `Sources/` carries its written proof on the next line
/// (`// @unchecked Sendable, because: ...`), as design.md asks; a type that needs none is
/// plainly `Sendable`, checked by the compiler.
@Suite struct UncheckedSendableProofTests {
    private static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// `path:line` of each `@unchecked Sendable` conformance in `Sources/` and whether the
    /// line after it starts its proof.
    private func conformances() throws -> [(place: String, proven: Bool)] {
        let files = try #require(FileManager.default.enumerator(atPath: Self.sources.path)).compactMap { $0 as? String }
        var found: [(String, Bool)] = []
        for file in files.sorted() where file.hasSuffix(".swift") {
            let lines = try String(contentsOf: Self.sources.appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("//"), code.contains("@unchecked Sendable") else { continue }
                let next = index + 1 < lines.count ? lines[index + 1].trimmingCharacters(in: .whitespaces) : ""
                found.append(("\(file):\(index + 1)", next.hasPrefix("// @unchecked Sendable, because: ")))
            }
        }
        return found
    }

    @Test func everyUncheckedSendableHasItsWrittenProof() throws {
        let found = try conformances()
        #expect(found.count >= 9, "the scan found too few conformances: is \(Self.sources.path) the package's Sources?")
        for (place, proven) in found {
            #expect(proven, "\(place): @unchecked Sendable without \"// @unchecked Sendable, because: ...\" on the next line")
        }
    }

    @Test func manifestFileIsCheckedSendable() throws {
        let text = try String(contentsOf: Self.sources.appendingPathComponent("Manifest/ManifestFile.swift"), encoding: .utf8)
        #expect(text.contains("public final class ManifestFile: Sendable {"))
        let _: any Sendable.Type = ManifestFile.self
    }
}
