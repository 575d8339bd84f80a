/// The file names a video task may write: `.mp4` unless the server's `Content-Type` names
/// another container.
package enum VideoFile {
    package static let extensions = ["mp4", "mov", "webm"]

    /// The extension for an answer's `Content-Type` (`video/mp4`, `video/quicktime`,
    /// `video/webm`); mp4 when it says nothing usable.
    package static func fileExtension(contentType: String?) -> String {
        let type = String(contentType?.split(separator: ";").first ?? "").filter { $0 != " " }.lowercased()
        switch type {
        case "video/quicktime": return "mov"
        case "video/webm": return "webm"
        default: return "mp4"
        }
    }
}
