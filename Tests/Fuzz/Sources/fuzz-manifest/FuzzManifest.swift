// fuzz-manifest: manifest loading, validation and expansion (BatchPlan), then RequestKey.of,
// ImageRequest.body and SpeechRequest.body for every task of a manifest that validates.
//
// Byte 0 of each input chooses the file type (even: `.json`, odd: `.jsonl`; seeds use " " and
// "!"); the rest is written to one file per process under /tmp, `<dir>/jobs/m.json(l)`. The folder also holds files a manifest may name (`ref.png`, `sub/ref.jpg`,
// `texts/a.txt`) and traps that must be refused: `escape.png` (a symlink to a file outside
// the folder), `up` (a symlink to the parent folder) and `../secret.png`.
//
// ManifestError is expected. Checked for every input (a violation traps):
//  - an input holding "sk-or-" (an OpenRouter key prefix) never validates, and no request
//    body built from a manifest that validated holds it (a key spelled with JSON escapes);
//  - every task's output file lies inside the output root: the folder starts with
//    `<root>/`, and no component of folder or name is empty, "." or "..";
//  - every reference image is an http(s) URL or a regular file whose real path lies inside
//    the manifest's real folder;
//  - every speech task's chunks are non-empty and at most maxChars Characters long;
//  - RequestKey.of gives 64 lower-case hex digits, the same twice.
import FuzzFiles
import FuzzMain
import Glibc
import JSON
import Manifest
import ManifestDiagnostics
import Narration
import Tasks
import OpenRouter

func fail(_ message: String) -> Never { FuzzFiles.fail("fuzz-manifest", message) }

/// The shared workspace with a reference image, a JPEG in a subfolder and a text file.
struct Workspace {
    let space: FuzzWorkspace
    var jobs: String { space.jobs }
    var realJobs: String { space.realJobs }
    var outputRoot: String { space.outputRoot }
    var jsonPath: String { space.jobs + "/m.json" }
    var jsonlPath: String { space.jobs + "/m.jsonl" }

    init() {
        // A 1×1 PNG and a minimal JPEG header: reference images the manifest may name.
        let png: [UInt8] = [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
            8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 13, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0,
            5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ]
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9]
        space = FuzzWorkspace(
            target: "fuzz-manifest", folders: ["sub", "texts"],
            files: [("ref.png", png), ("sub/ref.jpg", jpeg),
                    ("texts/a.txt", Array("The keeper climbed the stairs.\n\nThe light turned. It was late; the sea, calm.\n".utf8))],
            escape: "escape.png", secret: png)
    }
}

nonisolated(unsafe) var workspace: Workspace?

func checkComponents(_ path: Substring, _ what: String) {
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
        if component.isEmpty || component == "." || component == ".." {
            fail("\(what) has a bad component \(String(component).debugDescription): \(String(path).debugDescription)")
        }
    }
}

let keyPrefix = Array("sk-or-".utf8)

/// A request built from a manifest that validated must not carry an OpenRouter key, however
/// the manifest spelled it (JSON escapes included).
func checkNoKey(_ bytes: [UInt8], _ what: String) {
    if bytes.indices.contains(where: { bytes[$0...].starts(with: keyPrefix) }) {
        fail("\(what) of a manifest that validated holds \"sk-or-\"")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if workspace == nil { workspace = Workspace() }
    let space = workspace!
    guard size >= 1 else { return 0 }
    // Byte 0 chooses the file type (even: .json, odd: .jsonl); the rest is the file.
    let bytes = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))
    let path = data[0] & 1 == 0 ? space.jsonPath : space.jsonlPath
    unlink(path == space.jsonPath ? space.jsonlPath : space.jsonPath)
    write(bytes, to: path)

    let plan: BatchPlan
    do {
        plan = try BatchPlan(paths: [path], outputRoot: space.outputRoot)
    } catch {
        for issue in error.issues { _ = issue.description }
        return 0
    }
    if bytes.indices.contains(where: { bytes[$0...].starts(with: keyPrefix) }) {
        fail("a manifest holding \"sk-or-\" validated")
    }
    let rootPrefix = space.outputRoot + "/"
    for task in plan.allTasks() {
        let output = task.output
        guard output.folder.hasPrefix(rootPrefix) else { fail("output folder \(output.folder) is not under \(space.outputRoot)") }
        checkComponents(output.folder.dropFirst(rootPrefix.count), "output folder")
        if output.baseName.hasPrefix("/") { fail("absolute output name \(output.baseName)") }
        checkComponents(Substring(output.baseName), "output name")
        _ = output.path(index: 2, of: 3, fileExtension: "png")

        let key = RequestKey.of(task, referenceStamps: task.inputs)
        if key.utf8.count != 64 || !key.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
            fail("request key \(key) is not 64 hex digits")
        }
        if RequestKey.of(task, referenceStamps: task.inputs) != key { fail("request key is not stable") }

        switch task {
        case .image(let image):
            for reference in image.inputImages where !(reference.hasPrefix("http://") || reference.hasPrefix("https://")) {
                guard let real = realPath(reference), real.hasPrefix(space.realJobs + "/") else {
                    fail("reference image \(reference) lies outside \(space.realJobs)")
                }
            }
            _ = ImageRequest.path(for: image)
            if let body = try? ImageRequest.body(for: image, references: image.inputImages.map { ReferenceImage.url($0) }) { checkNoKey(JSONEncoding.encode(body), "image request body") }
        case .speech(let speech):
            for chunk in NarrationSplitter.split(speech.text, maxChars: speech.maxChars) where chunk.isEmpty || chunk.count > speech.maxChars {
                fail("speech chunk of \(chunk.count) Characters, maxChars \(speech.maxChars)")
            }
            checkNoKey(JSONEncoding.encode(.object(SpeechRequest.body(for: speech, input: speech.text))), "speech request body")
        case .video(let video):
            for input in video.imageInputs {
                guard case .file(let path) = input else { continue }
                guard let real = realPath(path), real.hasPrefix(space.realJobs + "/") else {
                    fail("video image \(path) lies outside \(space.realJobs)")
                }
            }
            let images = VideoRequest.Images(
                firstFrame: video.firstFrame.map { ReferenceImage.url($0.location) }, lastFrame: video.lastFrame.map { ReferenceImage.url($0.location) },
                references: video.references.map { ReferenceImage.url($0.location) })
            if let body = try? VideoRequest.body(for: video, images: images) { checkNoKey(body, "video request body") }
        }
    }
    return 0
}

// SwiftPM links `main` to `fuzz_manifest_main`; hand over to libFuzzer's driver (see FuzzMain.h).
@_cdecl("fuzz_manifest_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mediabatch_fuzz_main(argc, argv)
}
