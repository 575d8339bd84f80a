// fuzz-rows: the rows reader (CSV, TSV, JSONL through `rows`) and file patterns
// (`inputImages: "<pattern>"`), through BatchPlan, the public API.
//
// Byte 0 picks the mode: 0 CSV, 1 TSV, 2 JSONL (the rest is the rows file, read by a manifest
// whose task is `{"id": "r", "prompt": "[{c}]"}`), 3 a file pattern (the rest, as UTF-8 with
// replacement, is the `inputImages` pattern of an optional entry). The folder holds
// `imgs/a.png`, `imgs/b.png`, `imgs/.hidden.png`, `imgs/sub/c.png`, a symlink `imgs/escape.png`
// to a file outside, and a symlink `up` to the parent folder.
//
// For CSV and TSV, byte 0's upper six bits also pick a block size (1 to 64 bytes): `CSVTable`
// reading the input that many bytes at a time must give exactly what it gives reading it
// whole (columns, rows, each row's line and fields, or the same error on the same line).
//
// ManifestError is expected. Checked for every input that validates (a violation traps):
//  - rows: every prompt is `[` + a value + `]`; the values written back as CSV by
//    ResultsCSV.text and read again through `rows` give the same values in the same order
//    (the writer and the reader agree on quoting, commas, quotes, line breaks);
//  - patterns: every reference image is a regular file whose real path lies inside the
//    manifest's real folder, never a hidden file unless the pattern starts with `.`, and
//    the ids are unique.
import Files
import FuzzFiles
import FuzzMain
import Glibc
import JSON
import Manifest
import ManifestDiagnostics
import Reports
import Tasks

func fail(_ message: String) -> Never { FuzzFiles.fail("fuzz-rows", message) }

typealias Workspace = FuzzWorkspace

extension FuzzWorkspace {
    /// Images to match file patterns against: plain, hidden, in a subfolder, and one that
    /// is a link out of the folder.
    init() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        self.init(
            target: "fuzz-rows", folders: ["imgs", "imgs/sub"],
            files: ["imgs/a.png", "imgs/b.png", "imgs/.hidden.png", "imgs/sub/c.png"].map { ($0, png) }, escape: "imgs/escape.png", secret: png)
    }
}

nonisolated(unsafe) var workspace: Workspace?

let model: JSON = ["image": ["model": "openrouter/google/gemini-2.5-flash-image"]]

/// The plan of a manifest written as `m.json`, or nil when it does not validate.
func load(_ manifest: JSON, in space: Workspace) -> BatchPlan? {
    write(JSONEncoding.encode(manifest), to: space.jobs + "/m.json")
    do { return try BatchPlan(paths: [space.jobs + "/m.json"], outputRoot: space.outputRoot) } catch {
        for issue in error.issues { _ = issue.description }
        return nil
    }
}

/// The `[value]` prompts' values, in order.
func values(of plan: BatchPlan) -> [String] {
    plan.allTasks().map { task in
        guard case .image(let image) = task, image.prompt.hasPrefix("["), image.prompt.hasSuffix("]"), image.prompt.utf8.count >= 2 else {
            fail("a row's prompt is not [value]: \(task)")
        }
        return String(image.prompt.dropFirst().dropLast())
    }
}

func fuzzRows(_ bytes: [UInt8], name: String, in space: Workspace) {
    write(bytes, to: space.jobs + "/" + name)
    let manifest: JSON = ["defaults": model, "rows": .string(name), "tasks": [["id": "r", "prompt": "[{c}]"]]]
    guard let plan = load(manifest, in: space) else { return }
    let first = values(of: plan)
    if first.isEmpty { fail("rows validated with no task") }
    let tasks = first.map { ResultsCSV.Task(id: "x", folder: "/f", columns: [("c", $0)]) }
    write(ResultsCSV.text(tasks, indexes: [:]), to: space.jobs + "/again.csv")
    let again: JSON = ["defaults": model, "rows": "again.csv", "tasks": [["id": "r", "prompt": "[{c}]"]]]
    guard let replan = load(again, in: space) else { fail("results.csv of valid rows does not read back: \(first)") }
    let second = values(of: replan)
    if second != first { fail("rows read back differ: \(first) vs \(second)") }
}

/// The rows reader reads a file a block at a time: `block` bytes (a record split between two
/// blocks is read with the next) must read exactly as the whole file at once: the same
/// columns, rows, lines and fields, or the same error on the same line.
func checkBlocks(_ bytes: [UInt8], delimiter: UInt8, block: Int) {
    func read(_ block: Int) -> Result<(columns: [String], rows: [(Int, Result<[String], CSVTable.SyntaxError>)]), CSVTable.SyntaxError> {
        do {
            let table = try CSVTable(bytes: bytes, delimiter: delimiter, block: block)
            let rows = (0..<table.count).map { index in
                (table.line(of: index), Result { () throws(CSVTable.SyntaxError) in try table.fields(of: index) })
            }
            return .success((table.columns, rows))
        } catch {
            return .failure(error)
        }
    }
    switch (read(FileSnapshot.block), read(block)) {
    case (.failure(let whole), .failure(let blocks)):
        if whole != blocks { fail("block \(block): error \(blocks) where the whole file gives \(whole)") }
    case (.success(let whole), .success(let blocks)):
        if whole.columns != blocks.columns || whole.rows.count != blocks.rows.count { fail("block \(block): other columns or row count") }
        for (a, b) in zip(whole.rows, blocks.rows) {
            if a.0 != b.0 { fail("block \(block): a row on line \(b.0), \(a.0) read whole") }
            switch (a.1, b.1) {
            case (.success(let x), .success(let y)) where x == y: continue
            case (.failure(let x), .failure(let y)) where x == y: continue
            default: fail("block \(block): row on line \(a.0) reads \(b.1), \(a.1) read whole")
            }
        }
    default: fail("block \(block): \(read(block)) where the whole file gives \(read(FileSnapshot.block))")
    }
}

func fuzzPattern(_ bytes: [UInt8], in space: Workspace) {
    let pattern = String(decoding: bytes, as: UTF8.self)
    let manifest: JSON = ["defaults": model, "tasks": [["prompt": "p", "inputImages": .string(pattern), "optional": true]]]
    guard let plan = load(manifest, in: space) else { return }
    var ids = Set<String>()
    for task in plan.allTasks() {
        guard case .image(let image) = task else { fail("not an image task") }
        if !ids.insert(image.id).inserted { fail("id \(image.id) twice") }
        for reference in image.inputImages where !(reference.hasPrefix("http://") || reference.hasPrefix("https://")) {
            guard let real = realPath(reference), real.hasPrefix(space.realJobs + "/") else { fail("\(reference) lies outside \(space.realJobs)") }
            let last = real.split(separator: "/").last ?? ""
            if last.hasPrefix("."), !(pattern.split(separator: "/").last ?? "").hasPrefix(".") { fail("hidden \(real) matched \(pattern)") }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if workspace == nil { workspace = Workspace() }
    let space = workspace!
    guard size >= 1 else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))
    // The bits above the mode pick a block size for the block-by-block check (1 to 64 bytes).
    let block = 1 + Int(data[0] >> 2)
    switch data[0] & 3 {
    case 0:
        checkBlocks(bytes, delimiter: UInt8(ascii: ","), block: block)
        fuzzRows(bytes, name: "rows.csv", in: space)
    case 1:
        checkBlocks(bytes, delimiter: 0x09, block: block)
        fuzzRows(bytes, name: "rows.tsv", in: space)
    case 2: fuzzRows(bytes, name: "rows.jsonl", in: space)
    default: fuzzPattern(bytes, in: space)
    }
    return 0
}

// SwiftPM links `main` to `fuzz_rows_main`; hand over to libFuzzer's driver (see FuzzMain.h).
@_cdecl("fuzz_rows_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mediabatch_fuzz_main(argc, argv)
}
