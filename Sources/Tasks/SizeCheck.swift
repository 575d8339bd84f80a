/// Whether an image that came back has the shape and size its task asked for: the aspect
/// ratio within 5%, the resolution tier (`0.5K`, `1K`, `2K`, `4K`, judged by the square root
/// of the area, as `CostEstimate.tier` does), explicit pixels (`/images` `size`) exactly.
/// A model may ignore a hint; the mismatch is then recorded, never hidden.
public enum SizeCheck {
    /// What differs, worded for a sidecar ("asked 16:9 2K, got 1024x1024"), or nil when the
    /// image matches or nothing was asked.
    public static func mismatch(_ task: ImageTask, width: Int, height: Int) -> String? {
        guard width > 0, height > 0 else { return nil }
        var problems: [String] = []
        if let size = task.size, size.contains("x") {
            if size != "\(width)x\(height)" { problems.append("size") }
        } else if let size = task.size, CostEstimate.tier(resolution: nil, size: size) != tier(width, height) {
            problems.append("resolution")
        }
        if let ratio = task.aspectRatio, let wanted = value(of: ratio) {
            if abs(Double(width) / Double(height) / wanted - 1) > 0.05 { problems.append("aspect ratio") }
        }
        if let resolution = task.resolution, CostEstimate.tier(resolution: resolution) != tier(width, height) {
            problems.append("resolution")
        }
        guard !problems.isEmpty else { return nil }
        let asked = [task.aspectRatio, task.resolution, task.size].compactMap { $0 }.joined(separator: " ")
        return "asked \(asked), got \(width)x\(height) (\(problems.joined(separator: " and ")) differ)"
    }

    /// The tier of a pixel size.
    public static func tier(_ width: Int, _ height: Int) -> String { CostEstimate.tier(resolution: nil, size: "\(width)x\(height)") }

    /// `16:9` as 1.777..., nil for `auto` or anything else that is not two positive numbers.
    static func value(of ratio: String) -> Double? {
        let parts = ratio.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return parts[0] / parts[1]
    }
}
