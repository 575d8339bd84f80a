import FakeOpenRouter
import Foundation
import Media
import OpenRouter
import Reports
import Runner
import Support

/// A fake OpenRouter on loopback for one test, stopped by the caller's `defer`.
func startFake(_ configure: (inout FakeConfiguration) -> Void = { _ in }) throws -> FakeOpenRouterServer {
    MediaBatchRuntime.start()
    var configuration = FakeConfiguration()
    configure(&configuration)
    let server = FakeOpenRouterServer(configuration: configuration)
    try server.start()
    return server
}

/// Runs `manifest` against `server` through the library and returns the summary.
func runAgainst(
    _ server: FakeOpenRouterServer, manifest: String, in folder: TempFolder, concurrency: Int = 4,
    key: String = "test-key", configure: (inout RunOptions) -> Void = { _ in }
) throws -> RunSummary {
    let plan = try plan(manifest, in: folder)
    var options = RunOptions(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: key))
    options.concurrency = concurrency
    options.retryBaseDelay = 0.01
    configure(&options)
    return try BatchRunner(options: options).run(plan)
}

/// The built `mediabatch` executable, next to the test bundle.
func mediabatchExecutable() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = (exe as NSString).deletingLastPathComponent
    while !folder.isEmpty && folder != "/" {
        let candidate = folder + "/mediabatch"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = (folder as NSString).deletingLastPathComponent
    }
    return ".build/debug/mediabatch"
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the CLI with `arguments` and `environment` (added to a clean minimal one).
func runCLI(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> ProcessResult {
    try runTool(mediabatchExecutable(), arguments, environment: environment, in: directory)
}

/// Runs any program that way.
func runTool(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes drain at once: a child filling one (a --verbose trace on stderr) while the
    // other is read to its end would block forever.
    let errData = Locked(Data())
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    reading.wait()
    process.waitUntilExit()
    let errBytes = errData.withLock { $0 }
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBytes, as: UTF8.self))
}

/// Reads a PNG's width and height, checking its signature and every chunk's CRC.
func pngSize(_ path: String) -> (width: Int, height: Int)? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let bytes = [UInt8](data)
    guard ImageFormat.sniff(bytes) == .png else { return nil }
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard offset + 12 + length <= bytes.count else { return nil }
        let crc = bytes[(offset + 8 + length)..<(offset + 12 + length)].reduce(0) { $0 << 8 | UInt32($1) }
        guard crc == crc32(bytes[(offset + 4)..<(offset + 8 + length)]) else { return nil }
        let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
        offset += 12 + length
        if type == "IEND" { return ImageFormat.dimensions(bytes) }
    }
    return nil
}

private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return crc ^ 0xFFFF_FFFF
}
