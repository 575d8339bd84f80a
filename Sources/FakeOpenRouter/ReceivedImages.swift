import Foundation

extension RecordedRequest {
    /// The images a generation request carried as data URLs, decoded, in the order sent: the
    /// `image_url` parts of chat messages, the `frame_images` of `/videos` (first frame, then
    /// last), the `input_references` of `/images` and `/videos`. Tests compare
    /// them with files on disk (a chained task must send its producer's file byte for byte);
    /// an image given by http(s) URL, or a data URL that does not decode, is left out.
    public var referenceImages: [[UInt8]] {
        guard let body = json() else { return [] }
        var parts: [[String: Any]] = []
        for message in body["messages"] as? [[String: Any]] ?? [] {
            parts += message["content"] as? [[String: Any]] ?? []
        }
        parts += body["frame_images"] as? [[String: Any]] ?? []
        parts += body["input_references"] as? [[String: Any]] ?? []
        return parts.compactMap { part -> [UInt8]? in
            guard let url = JSONIn.imageURL(of: part), url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
                let data = Data(base64Encoded: String(url[url.index(after: comma)...]))
            else { return nil }
            return [UInt8](data)
        }
    }
}
