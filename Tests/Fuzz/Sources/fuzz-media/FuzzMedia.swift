// fuzz-media: MP3 frame scanning and joining, WAV header parsing.
//
// Input layout: byte 0 picks the number of parts (1...4) for MP3Joiner.join, bytes 1...3
// pick the cut points (as fractions of the rest); the rest is the media data. Every input is
// given to every API: MP3Frames.scan, MP3Joiner.duration/frameCount/join, WAVFile.parse.
//
// Checked (a violation traps):
//  - scan: frames lie inside the audio region, in order, without overlap; the audio region
//    lies inside the buffer;
//  - join: when it succeeds for Layer III, scanning the result finds an Info/Xing frame whose
//    frame count equals the number of audio frames joined and whose byte count equals the
//    Info frame plus those frames, and the scan finds that same number of audio frames;
//  - WAVFile.parse: the data chunk it reports lies inside the buffer.
//
// FUZZ_MEDIA_DUMP=<file> writes the joined stream there (to triage a crash with ffprobe).
import FuzzMain
import Glibc
import Media

@inline(never)
func fail(_ message: String) -> Never {
    print("fuzz-media invariant violated: \(message)")
    fatalError(message)
}

func checkScan(_ scan: MP3Scan, count: Int, _ what: String) {
    let region = scan.audioRegion
    if region.lowerBound < 0 || region.upperBound > count { fail("\(what): audio region \(region) outside 0..<\(count)") }
    var previousEnd = region.lowerBound
    if let vbr = scan.vbrHeader {
        if vbr.frame.offset < region.lowerBound || vbr.frame.range.upperBound > region.upperBound { fail("\(what): VBR frame outside the region") }
        previousEnd = vbr.frame.range.upperBound
    }
    for frame in scan.frames {
        if frame.offset < previousEnd { fail("\(what): frame at \(frame.offset) overlaps the previous one (ends \(previousEnd))") }
        if frame.range.upperBound > region.upperBound { fail("\(what): frame at \(frame.offset) runs past the region") }
        if frame.length <= 4 { fail("\(what): frame at \(frame.offset) has length \(frame.length)") }
        previousEnd = frame.range.upperBound
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let all = [UInt8](UnsafeBufferPointer(start: data, count: size))

    // Whole input as one buffer.
    let scan = MP3Frames.scan(all)
    checkScan(scan, count: all.count, "scan")
    _ = try? MP3Joiner.duration(of: all)
    _ = try? MP3Joiner.frameCount(of: all)
    if let info = try? WAVFile.parse(all) {
        if info.dataOffset < 0 || info.dataOffset + info.dataSize > all.count { fail("WAV data chunk \(info.dataOffset)+\(info.dataSize) outside \(all.count) bytes") }
        _ = info.duration
    }

    // Joining: split after a 4-byte control prefix.
    guard all.count >= 4 else { return 0 }
    let body = Array(all[4...])
    let partCount = 1 + Int(all[0] % 4)
    var cuts = (1..<partCount).map { Int(all[$0]) * body.count / 256 }
    cuts.sort()
    var parts: [[UInt8]] = []
    var start = 0
    for cut in cuts + [body.count] {
        parts.append(Array(body[start..<cut]))
        start = cut
    }
    let partScans = parts.map(MP3Frames.scan)
    guard let joined = try? MP3Joiner.join(parts) else { return 0 }
    if let dump = getenv("FUZZ_MEDIA_DUMP") {  // for triage: keep the joined stream
        let file = fopen(dump, "wb")
        _ = joined.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    let joinedFrames = partScans.reduce(0) { $0 + $1.frames.count }
    guard let firstHeader = partScans.first?.frames.first?.header, firstHeader.layer == .layer3 else { return 0 }
    let rescan = MP3Frames.scan(joined)
    checkScan(rescan, count: joined.count, "rescan")
    guard let vbr = rescan.vbrHeader else { fail("joined Layer III stream has no Info/Xing frame") }
    if vbr.frameCount != joinedFrames { fail("Info/Xing frame count \(vbr.frameCount.map(String.init) ?? "nil") != \(joinedFrames) frames joined") }
    // The byte count covers the MPEG stream (Info frame and audio frames); padding the joiner
    // may append after the last frame is not part of it.
    let streamBytes = vbr.frame.length + partScans.reduce(0) { $0 + $1.frames.reduce(0) { $0 + $1.length } }
    if vbr.byteCount != streamBytes || streamBytes > joined.count {
        fail("Info/Xing byte count \(vbr.byteCount.map(String.init) ?? "nil"): stream \(streamBytes) bytes, file \(joined.count) bytes")
    }
    if rescan.frames.count != joinedFrames { fail("rescan found \(rescan.frames.count) frames, \(joinedFrames) were joined") }
    return 0
}

// SwiftPM links `main` to `fuzz_media_main`; hand over to libFuzzer's driver (see FuzzMain.h).
@_cdecl("fuzz_media_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mediabatch_fuzz_main(argc, argv)
}
