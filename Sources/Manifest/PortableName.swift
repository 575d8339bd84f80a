/// Turns user text into names that are safe on every file system.
package enum PortableName {
    package static let maxLength = 120
    /// The longest output path accepted below the output root: far under PATH_MAX (4096)
    /// whatever the root, so a task never fails on a name after its request was paid for.
    package static let maxPathLength = 1024

    /// Keeps `[A-Za-z0-9._]`, turns runs of anything else (`-` included) into one `-`, and
    /// trims `-` and `.` from both ends. Accented Latin letters become their base letters
    /// (`é` → `e`, `ß` → `ss`, `Œ` → `OE`); any other multi-byte character a single `-`.
    package static func sanitise(_ text: String) -> String {
        // Accented Latin letters keep their base letter: `café crème` → `cafe-creme`.
        text.utf8.contains(where: { $0 >= 0x80 }) ? sanitiseASCII(transliterated(text)) : sanitiseASCII(text)
    }

    private static func sanitiseASCII(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var lastWasDash = false
        for byte in text.utf8 {
            if isASCIILetter(byte) || isASCIIDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") {
                out.append(byte)
                lastWasDash = false
            } else if !lastWasDash && (byte < 0x80 || byte >= 0xC0) {
                out.append(UInt8(ascii: "-"))
                lastWasDash = true
            }
        }
        var start = 0
        var end = out.count
        while start < end, out[start] == UInt8(ascii: "-") || out[start] == UInt8(ascii: ".") { start += 1 }
        while end > start, out[end - 1] == UInt8(ascii: "-") || out[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return String(decoding: out[start..<min(end, start + maxLength)], as: UTF8.self)
    }

    /// A relative path of sanitised components, or nil when it is absolute, empty, climbs
    /// out with `..` or is longer than `maxPathLength`.
    package static func relativePath(_ text: String) -> String? {
        guard let path = sanitisedPath(text), path.utf8.count <= maxPathLength else { return nil }
        return path
    }

    private static func sanitisedPath(_ text: String) -> String? {
        guard text.utf8.first != UInt8(ascii: "/"), !text.utf8.contains(0) else { return nil }
        if !text.utf8.contains(UInt8(ascii: "/")) {
            guard text != "." && text != ".." else { return nil }
            let clean = sanitise(text)
            return clean.isEmpty ? nil : clean
        }
        var components: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: true) {
            if raw == "." { continue }
            if raw == ".." { return nil }
            let clean = sanitise(String(raw))
            guard !clean.isEmpty else { return nil }
            components.append(clean)
        }
        return components.isEmpty ? nil : components.joined(separator: "/")
    }
}
