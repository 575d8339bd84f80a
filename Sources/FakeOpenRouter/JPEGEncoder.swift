/// A tiny baseline JPEG encoder (JFIF, YCbCr 4:4:4, standard Huffman tables) that keeps only
/// each 8x8 block's DC coefficient: the picture is the pattern in soft 8-pixel tiles, and the
/// file is a real JPEG that decoders accept. It exists so `#fake:jpeg` and
/// `output_format: "jpeg"` return genuine JPEG bytes (the client must check magic numbers).
enum JPEGEncoder {
    private static let dcBits: [UInt8] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    private static let dcValues: [UInt8] = Array(0...11)
    private static let acBits: [UInt8] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
    private static let acValues: [UInt8] = [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
        0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ]
    /// DC quantizer: an 8x8 block of level-shifted value v has DC = 8v, so DC/8 = v.
    private static let quantizer: UInt8 = 8

    static func encode(_ pattern: ImagePattern) -> [UInt8] {
        let width = pattern.width
        let height = pattern.height
        var out: [UInt8] = [0xFF, 0xD8]
        // APP0 JFIF 1.01, no density units, aspect 1:1.
        out += [0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        // DQT: table 0, 8-bit precision, all entries = quantizer.
        out += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: quantizer, count: 64)
        // SOF0: 8-bit, height, width, 3 components sampled 1x1 using quant table 0.
        out += [0xFF, 0xC0, 0x00, 0x11, 0x08]
        out += [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03]
        out += [0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]
        // DHT: DC table 0 and AC table 0 (ITU T.81 Annex K luminance tables).
        appendTable(&out, tableClass: 0, bits: dcBits, values: dcValues)
        appendTable(&out, tableClass: 1, bits: acBits, values: acValues)
        // SOS: 3 components, all on tables 0/0, spectral 0...63, no approximation.
        out += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x3F, 0x00]

        let dcCodes = huffmanCodes(bits: dcBits, values: dcValues)
        let acCodes = huffmanCodes(bits: acBits, values: acValues)
        let endOfBlock = acCodes[0]
        let blocksX = (width + 7) / 8
        let blocksY = (height + 7) / 8
        let columnMeans = (0..<3).map { blockMeans(pattern.columns[$0], blocks: blocksX) }
        let rowMeans = (0..<3).map { blockMeans(pattern.rows[$0], blocks: blocksY) }
        var writer = BitWriter()
        writer.bytes.reserveCapacity(blocksX * blocksY * 3 + 1024)
        var predictors = [0, 0, 0]
        for by in 0..<blocksY {
            for bx in 0..<blocksX {
                let r = columnMeans[0][bx] + rowMeans[0][by]
                let g = columnMeans[1][bx] + rowMeans[1][by]
                let b = columnMeans[2][bx] + rowMeans[2][by]
                let ycc = [
                    0.299 * r + 0.587 * g + 0.114 * b,
                    128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                    128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
                ]
                for component in 0..<3 {
                    let dc = min(max(Int((ycc[component] - 128).rounded()), -128), 127)
                    let diff = dc - predictors[component]
                    predictors[component] = dc
                    let magnitude = abs(diff)
                    let category = magnitude == 0 ? 0 : (Int.bitWidth - magnitude.leadingZeroBitCount)
                    let code = dcCodes[category]
                    writer.write(code.code, count: code.length)
                    if category > 0 {
                        let bits = diff < 0 ? diff + (1 << category) - 1 : diff
                        writer.write(UInt32(bits), count: category)
                    }
                    writer.write(endOfBlock.code, count: endOfBlock.length)
                }
            }
        }
        writer.flush()
        out += writer.bytes
        out += [0xFF, 0xD9]
        return out
    }

    /// The mean of each run of 8 entries (the last run may be shorter).
    private static func blockMeans(_ values: [UInt8], blocks: Int) -> [Double] {
        (0..<blocks).map { block in
            let start = block * 8
            let end = min(start + 8, values.count)
            var sum = 0
            for index in start..<end { sum += Int(values[index]) }
            return Double(sum) / Double(max(end - start, 1))
        }
    }

    private static func appendTable(_ out: inout [UInt8], tableClass: UInt8, bits: [UInt8], values: [UInt8]) {
        let length = 2 + 1 + 16 + values.count
        out += [0xFF, 0xC4, UInt8(length >> 8), UInt8(length & 0xFF), tableClass << 4]
        out += bits
        out += values
    }

    /// Canonical Huffman codes, indexed by symbol.
    private static func huffmanCodes(bits: [UInt8], values: [UInt8]) -> [(code: UInt32, length: Int)] {
        var table = [(code: UInt32, length: Int)](repeating: (0, 0), count: 256)
        var code: UInt32 = 0
        var index = 0
        for length in 1...16 {
            for _ in 0..<Int(bits[length - 1]) {
                table[Int(values[index])] = (code, length)
                code += 1
                index += 1
            }
            code <<= 1
        }
        return table
    }

    /// MSB-first bit packing with JPEG's 0xFF byte stuffing; padding bits are 1s.
    private struct BitWriter {
        var bytes: [UInt8] = []
        private var accumulator: UInt32 = 0
        private var count = 0

        mutating func write(_ value: UInt32, count bitCount: Int) {
            guard bitCount > 0 else { return }
            accumulator = accumulator << UInt32(bitCount) | (value & ((1 << UInt32(bitCount)) - 1))
            count += bitCount
            while count >= 8 {
                let byte = UInt8(truncatingIfNeeded: accumulator >> UInt32(count - 8))
                bytes.append(byte)
                if byte == 0xFF { bytes.append(0x00) }
                count -= 8
            }
            accumulator &= (1 << UInt32(count)) &- 1
        }

        mutating func flush() {
            if count > 0 { write(0x7F, count: 8 - count) }
        }
    }
}
