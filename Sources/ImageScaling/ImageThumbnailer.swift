/// Pixel sizes and small JPEG previews of image files, for the gallery: libvips reads only
/// what it needs (a header for the size, a shrink-on-load for the preview).
public enum ImageThumbnailer {
    /// The pixel size of the image at `path`, nil when it cannot be read (or libvips is missing).
    public static func pixelSize(of path: String) -> (width: Int, height: Int)? {
        guard VipsImage.unavailable == nil, let image = VipsImage(opening: path) else { return nil }
        return (image.width, image.height)
    }

    /// Writes a JPEG (quality `quality`, no metadata) of the image at `path`, fitting `box` x
    /// `box` and never enlarged, at `target`; false when it cannot be made.
    public static func writeThumbnail(of path: String, box: Int, quality: Int, to target: String) -> Bool {
        guard VipsImage.unavailable == nil, let thumbnail = VipsImage(thumbnailOf: path, box: Int32(box)) else { return false }
        return thumbnail.saveJPEG(to: target, quality: Int32(quality))
    }
}
