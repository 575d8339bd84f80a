import Files
import Foundation
import HTTP
import Media
import OpenRouter
import Support
import Tasks
import Testing
import TestSupport

/// Files written with direct I/O (`DirectWriter`, through `StagedFile`) hold exactly the
/// bytes given, whatever the alignment of the pieces; decoded images sit where the writer
/// can take them without a copy.
@Suite struct DirectWriteTests {
    /// Deterministic bytes, different for every offset.
    private static func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Stages `sizes` pieces cut from page-aligned memory at `offsets`, commits, and returns
    /// what is on disk next to what was meant to be.
    private func writeAndRead(sizes: [Int], offsets: [Int], in folder: TempFolder, name: String) throws -> (disk: [UInt8], expected: [UInt8]) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: sizes.reduce(0, +) + offsets.reduce(0, +) + 8192, alignment: 4096)
        defer { memory.deallocate() }
        var cursor = 0
        var pieces: [UnsafeRawBufferPointer] = []
        var expected: [UInt8] = []
        for (index, (size, offset)) in zip(sizes, offsets).enumerated() {
            let bytes = Self.pattern(size, seed: UInt32(index * 7919 + size))
            let start = memory + cursor + offset
            bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: size) }
            pieces.append(UnsafeRawBufferPointer(start: start, count: size))
            expected += bytes
            cursor += offset + size
        }
        let path = folder.path + "/" + name
        let staged = try StagedFile(pieces, for: path)
        try staged.commit()
        return (try FileIO.readAll(path), expected)
    }

    @Test(arguments: [
        // One piece: aligned, unaligned, just under and over a block and the bounce buffer.
        ([1 << 20], [0]), ([(1 << 20) + 1], [0]), ([(1 << 20) - 1], [3]), ([65536 + 4095], [17]),
        ([3 * (1 << 20) + 12345], [0]), ([3 * (1 << 20) + 12345], [4095]),
        // A PNG-like file: 33 bytes, a metadata chunk, the rest, in and out of phase.
        ([33, 200, (1 << 20) - 33], [0, 5, 4096 - 33 + 200 - 5]), ([33, 200, (1 << 20) - 33], [0, 5, 1]),
        // Many small pieces, with an empty one.
        ([4096, 0, 1, 4095, 70000, 4096, 2], [0, 0, 9, 0, 4096, 0, 1]),
    ] as [([Int], [Int])])
    func bytesOnDiskAreTheBytesGiven(sizes: [Int], offsets: [Int]) throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let (disk, expected) = try writeAndRead(sizes: sizes, offsets: offsets, in: folder, name: "f.bin")
        #expect(disk.count == expected.count)
        #expect(disk == expected)
    }

    @Test func replacingAnExistingFileWithADirectWriteLeavesOnlyTheNewBytes() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        _ = try writeAndRead(sizes: [300_000], offsets: [0], in: folder, name: "same.bin")
        let (disk, expected) = try writeAndRead(sizes: [100_001], offsets: [7], in: folder, name: "same.bin")
        #expect(disk == expected)
        #expect(folder.allFiles() == ["same.bin"])
    }

    /// A response with two images: each decodes where its placement asks (modulo the
    /// block size; the first one using the body's headroom, the second the room its
    /// predecessor's decoding freed), neither disturbs the other, and the bytes are the
    /// ones encoded.
    @Test func imagesDecodeAtThePhaseTheirFileNeeds() throws {
        let first = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.pattern(300_000, seed: 1)
        let second = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.pattern(200_003, seed: 2)
        for inserted in [0, 1, 777, 4096 + 33] {
            let images = [first, second].map { #"{"type":"image_url","image_url":{"url":"data:image/png;base64,"# + String(decoding: Base64.encode($0), as: UTF8.self) + #""}}"# }
            let body = #"{"id":"gen-1","choices":[{"message":{"role":"assistant","content":"","images":["# + images.joined(separator: ",") + "]}}]}"
            let storage = ByteArray(capacity: body.utf8.count, headroom: 4096)
            Array(body.utf8).withUnsafeBytes { storage.append($0) }
            let response = HTTPResponse(status: 200, headers: [], body: storage)
            let result = try ImageResponse.decodeChat(response.head, body: response.body, placement: ImagePlacement(pngInsertedBytes: inserted))
            #expect(result.images.map(\.bytes) == [first, second])
            for image in result.images {
                let address = image.withUnsafeBytes { UInt(bitPattern: $0.baseAddress!) }
                #expect(Int(address % 4096) == inserted % 4096)
            }
            // `/images` without `media_type`: the bytes tell it is a PNG.
            let data = [first, second].map { #"{"b64_json":""# + String(decoding: Base64.encode($0), as: UTF8.self) + #""}"# }
            let imagesBody = Array((#"{"created":1,"data":["# + data.joined(separator: ",") + "]}").utf8)
            let imagesStorage = ByteArray(capacity: imagesBody.count, headroom: 4096)
            imagesBody.withUnsafeBytes { imagesStorage.append($0) }
            let decoded = try ImageResponse.decodeImages(
                HTTPResponseHead(status: 200, headers: []), body: imagesStorage, placement: ImagePlacement(pngInsertedBytes: inserted))
            #expect(decoded.images.map(\.bytes) == [first, second])
            #expect(decoded.images.allSatisfy { image in image.withUnsafeBytes { Int(UInt(bitPattern: $0.baseAddress!) % 4096) } == inserted % 4096 })
        }
    }

    /// A server that names one payload twice (a literal placeholder string) gets a refusal,
    /// not two images over the same bytes.
    @Test func aPayloadNamedTwiceIsRefused() throws {
        let image = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.pattern(10_000, seed: 3)
        let body = #"{"data":[{"b64_json":""# + String(decoding: Base64.encode(image), as: UTF8.self) + #""},{"b64_json":"\u0000payload:0"}]}"#
        let response = HTTPResponse(status: 200, headers: [], body: ByteArray(Array(body.utf8)))
        let failure = try #require(throws: TaskFailure.self) { try ImageResponse.decodeImages(response.head, body: response.body) }
        #expect(failure.message.contains("already used"))
    }
}
