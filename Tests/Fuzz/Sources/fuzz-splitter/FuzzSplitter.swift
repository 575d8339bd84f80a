// fuzz-splitter: NarrationSplitter.split(_:maxChars:) and the guarantees its documentation
// makes. Input: 2 bytes choose maxChars (1...512), the rest is the text as UTF-8 (invalid
// sequences become U+FFFD, as String(decoding:) does for a text file).
//
// Checked on every input (a violation traps, which libFuzzer reports as a crash):
//  1. no chunk is longer than maxChars Characters;
//  2. no chunk is empty or whitespace only, and no chunk starts or ends with a whitespace
//     Character (one made only of White_Space scalars: a space carrying a combining mark is
//     text, not whitespace);
//  3. the chunks joined equal the input apart from whitespace, compared scalar by scalar
//     after dropping every White_Space scalar, so no text is lost or invented;
//  4. text that fits (at most maxChars Characters) gives exactly one chunk, the trimmed text,
//     and whitespace-only text gives no chunk.
//
// Invariant 3 found a bug in 511371a (a mark after a space was trimmed away with it), fixed
// in c8f0d6a; FuzzRegressionTests.swift keeps the reduced inputs. FUZZ_SPLITTER_CHARACTERS=1
// compares Character by Character with Swift's `isWhitespace` instead, the lenient check the
// 10-minute run on 511371a used so it could look past that bug.
import FuzzMain
import Glibc
import Narration

@inline(never)
func fail(_ message: String) -> Never {
    print("fuzz-splitter invariant violated: \(message)")
    fatalError(message)
}

let lenient = getenv("FUZZ_SPLITTER_CHARACTERS").map { String(cString: $0) == "1" } ?? false

/// Whitespace through and through (every scalar White_Space).
func isBlank(_ character: Character) -> Bool {
    lenient ? character.isWhitespace : character.unicodeScalars.allSatisfy(\.properties.isWhitespace)
}

func withoutWhitespace(_ text: String) -> [Unicode.Scalar] {
    if lenient { return text.filter { !$0.isWhitespace }.flatMap(\.unicodeScalars) }
    return text.unicodeScalars.filter { !$0.properties.isWhitespace }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let maxChars = 1 + (Int(bytes[0]) << 8 | Int(bytes[1])) % 512
    let text = String(decoding: bytes[2...], as: UTF8.self)

    let chunks = NarrationSplitter.split(text, maxChars: maxChars)

    for (index, chunk) in chunks.enumerated() {
        if chunk.count > maxChars { fail("chunk \(index) has \(chunk.count) Characters, maxChars \(maxChars)") }
        if chunk.isEmpty { fail("chunk \(index) is empty") }
        if chunk.allSatisfy(isBlank) { fail("chunk \(index) is whitespace only") }
        if isBlank(chunk.first!) || isBlank(chunk.last!) { fail("chunk \(index) is not trimmed: \(chunk.debugDescription)") }
    }
    let expected = withoutWhitespace(text)
    let joined = chunks.flatMap(withoutWhitespace)
    if expected != joined {
        fail("chunks joined differ from the input apart from whitespace: input \(text.debugDescription) chunks \(chunks.debugDescription)")
    }
    let trimmed = text.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
    if trimmed.isEmpty {
        if !chunks.isEmpty { fail("whitespace-only text gave \(chunks.count) chunks") }
    } else if text.count <= maxChars {
        if chunks != [String(trimmed)] { fail("text that fits was not returned as one trimmed chunk: \(chunks.debugDescription)") }
    }
    return 0
}

// SwiftPM links `main` to `fuzz_splitter_main`; hand over to libFuzzer's driver (see FuzzMain.h).
@_cdecl("fuzz_splitter_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mediabatch_fuzz_main(argc, argv)
}
