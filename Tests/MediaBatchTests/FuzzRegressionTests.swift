import Testing
@testable import MediaBatch

/// Inputs found by the fuzz targets in Tests/Fuzz (scripts/fuzz.sh) or while writing their
/// checks, reduced to the smallest case. Each test states the guarantee it holds the code to;
/// see docs/security.md for the findings.
@Suite struct FuzzRegressionTests {
    /// The text without its whitespace, scalar by scalar: what NarrationSplitter promises to
    /// keep ("the chunks joined equal the input apart from whitespace").
    static func visibleScalars(_ text: String) -> [UInt32] {
        text.unicodeScalars.filter { !$0.properties.isWhitespace }.map(\.value)
    }

    /// fuzz-splitter: a combining mark right after a space forms one Character with it
    /// (" \u{0902}", a space and DEVANAGARI SIGN ANUSVARA). `Character.isWhitespace` is true
    /// for that Character, so `NarrationSplitter.trimmed` cuts it off the end of the text and
    /// the mark is lost: "a \u{0902}" comes back as ["a"].
    @Test func splitterKeepsACombiningMarkThatFollowsASpaceAtTheEnd() {
        let text = "a \u{0902}"
        let chunks = NarrationSplitter.split(text, maxChars: 16)
        #expect(Self.visibleScalars(chunks.joined()) == Self.visibleScalars(text))
    }

    /// The same at a chunk boundary inside longer text: the mark after the space that
    /// separates two chunks is trimmed away from both of them.
    @Test func splitterKeepsACombiningMarkThatFollowsASpaceBetweenChunks() {
        let text = "One two three. \u{0301}Four five six."
        let chunks = NarrationSplitter.split(text, maxChars: 16)
        #expect(chunks.allSatisfy { $0.count <= 16 && !$0.isEmpty })
        #expect(Self.visibleScalars(chunks.joined()) == Self.visibleScalars(text))
    }

    /// Found while writing the fuzz-manifest key check: `ManifestFile.lineOfAPIKey` searches
    /// the raw bytes for "sk-or-", so a key written with a JSON escape (`sk\u002dor-…`, which
    /// jansson decodes to "sk-or-…") is not refused. The manifest validates and the decoded key
    /// travels on in `provider` (sent in the request body; copied into each image's sidecar).
    @Test func aJSONEscapedKeyInAManifestIsRefused() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = #"""
            {"tasks": [{"id": "a", "prompt": "p", "model": "a/b",
                        "provider": {"apiKey": "sk\u002dor-v1-5ec7e7c0ffee5ec7e7c0ffee"}}]}
            """#
        let error = #expect(throws: ManifestError.self) { try plan(manifest, in: folder) }
        #expect(error?.issues.contains { $0.message.contains("looks like an OpenRouter API key") } == true)
        #expect(error.map { !$0.description.contains("5ec7e7c0ffee") } ?? true)
    }
}
