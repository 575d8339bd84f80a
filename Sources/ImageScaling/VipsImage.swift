import CVips

/// One `VipsImage *`, released in `deinit`, its only owner; used on the thread that made it.
/// Every libvips image of the program is held by one of these.
final class VipsImage {
    let pointer: OpaquePointer

    /// Why libvips cannot be used (it is loaded on first use), or nil when it can.
    static var unavailable: String? {
        guard mb_vips_start() != 0 else { return nil }
        return mb_vips_start_error().map { String(cString: $0) } ?? "libvips could not start"
    }

    private init?(_ make: (inout OpaquePointer?) -> OpaquePointer?) {
        var out: OpaquePointer?
        guard let image = make(&out) else {
            mb_vips_error_clear()
            return nil
        }
        pointer = image
    }

    /// The image at `path`, its header read (pixels only when needed).
    convenience init?(opening path: String) {
        self.init { _ in mb_vips_open(path) }
    }

    /// A thumbnail of the file at `path` that fits `box` x `box`, never enlarged.
    convenience init?(thumbnailOf path: String, box: Int32) {
        self.init { out in mb_vips_thumbnail(path, &out, box, box) == 0 ? out : nil }
    }

    /// Reads the image encoded at `bytes`, which must outlive this handle.
    convenience init?(reading bytes: UnsafeRawPointer, count: Int) {
        self.init { _ in mb_vips_open_buffer(bytes, count) }
    }

    /// `source` scaled by `scale` on both axes.
    convenience init?(resizing source: VipsImage, scale: Double) {
        self.init { out in mb_vips_resize(source.pointer, &out, scale) == 0 ? out : nil }
    }

    var width: Int { Int(mb_vips_width(pointer)) }
    var height: Int { Int(mb_vips_height(pointer)) }
    var hasAlpha: Bool { mb_vips_has_alpha(pointer) != 0 }

    func jpeg(quality: Int32) -> [UInt8]? {
        encoded { mb_vips_jpeg_buffer(pointer, &$0, &$1, quality) }
    }

    func png() -> [UInt8]? {
        encoded { mb_vips_png_buffer(pointer, &$0, &$1) }
    }

    /// Writes the image as a JPEG without metadata at `path`; false when libvips cannot.
    func saveJPEG(to path: String, quality: Int32) -> Bool {
        guard mb_vips_save_jpeg(pointer, path, quality) == 0 else {
            mb_vips_error_clear()
            return false
        }
        return true
    }

    /// The bytes an encoder wrote into a buffer libvips allocated, copied out; the buffer is
    /// freed here, its only owner.
    private func encoded(_ encode: (inout UnsafeMutableRawPointer?, inout Int) -> Int32) -> [UInt8]? {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let status = encode(&buffer, &length)
        defer { mb_vips_free(buffer) }
        guard status == 0, let buffer, length > 0 else {
            mb_vips_error_clear()
            return nil
        }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    deinit { mb_vips_release(pointer) }
}

@available(*, unavailable)
extension VipsImage: Sendable {}
