import Foundation
import NIOCore

/// One request as the router sees it: parsed head, the whole body, arrival time.
struct IncomingRequest: Sendable {
    let method: String
    /// Path without the `/api/v1` prefix and without the query.
    let path: String
    let query: String?
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let receivedAt: Double
    /// Monotonic event-loop deadline of arrival, for latency scheduling.
    let arrival: NIODeadline

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// A query parameter, percent-decoded.
    func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first.map(String.init)?.removingPercentEncoding == name {
                let raw = parts.count > 1 ? String(parts[1]) : ""
                return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
            }
        }
        return nil
    }
}

/// What the handler writes back: status, headers, body, and how to deliver it (faults can
/// cut a body short, reset the connection or never answer).
struct Reply: Sendable {
    enum Delivery: Sendable, Equatable {
        case complete
        /// Headers and part of the body, then a TCP reset.
        case resetMidBody
        /// Full `Content-Length`, part of the body, then a clean close.
        case truncated
        /// No answer; close after this many seconds.
        case stall(Double)
    }

    var status: Int
    var headers: [(String, String)]
    var body: ByteBuffer
    var delivery: Delivery = .complete
    /// `/__fake/*` answers skip the configured latency.
    var applyLatency = true
    /// Seconds of silence on top of the latency (slow first bytes: `mediaFirstByteSeconds`,
    /// `#fake:first-byte=S`).
    var extraDelay: Double = 0
    /// Chat keep-alives: the head goes out at once, then a newline every this many seconds
    /// until the answer is due; the body is sent chunked.
    var keepAliveInterval: Double? = nil
    /// The generation this answer bills, and when.
    var bill: Bill? = nil
    /// A delivery fault an endpoint chose from a `#fake:fault=` directive, applied by the router.
    var deliveryFault: FaultKind? = nil

    static func json(_ status: Int, _ value: JSONOut, escapeSlashes: Bool, headers: [(String, String)] = []) -> Reply {
        Reply(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: value.buffer(escapeSlashes: escapeSlashes))
    }

    /// OpenRouter's error shape: `{"error":{"code":N,"message":"...","metadata":{...}}}`.
    static func error(
        _ status: Int, _ message: String, metadata: JSONOut? = nil, userID: Bool = false,
        escapeSlashes: Bool, headers: [(String, String)] = []
    ) -> Reply {
        var error: [(String, JSONOut)] = [("code", .int(status)), ("message", .string(message))]
        if let metadata { error.append(("metadata", metadata)) }
        var document: [(String, JSONOut)] = [("error", .object(error))]
        if userID { document.append(("user_id", .string("user_fake0penr0uter"))) }
        return json(status, .object(document), escapeSlashes: escapeSlashes, headers: headers)
    }

    /// Raw bytes with a content type (audio).
    static func bytes(_ status: Int, contentType: String, _ body: ByteBuffer, headers: [(String, String)] = []) -> Reply {
        Reply(status: status, headers: [("Content-Type", contentType)] + headers, body: body)
    }

    /// OpenRouter's usual message for a status, used by faults and `#fake:status=NNN`.
    static func standardMessage(for status: Int) -> String {
        switch status {
        case 400: return "Invalid request parameters"
        case 401: return "No auth credentials found"
        case 402: return "Insufficient credits. Add more using https://openrouter.ai/credits"
        case 403: return "Your input was flagged by the moderation guardrail."
        case 404: return "Resource not found"
        case 408: return "Request timed out"
        case 413: return "Request payload too large"
        case 422: return "Unprocessable request"
        case 429: return "Rate limit exceeded. Please retry shortly."
        case 500: return "Internal Server Error"
        case 502: return "Provider returned error"
        case 503: return "Service temporarily unavailable"
        case 504: return "Gateway timeout"
        case 524: return "Request timed out. Please try again later."
        case 529: return "Provider returned error"
        default: return "HTTP \(status)"
        }
    }

    /// The reason phrase for the status line (NIO knows the standard ones).
    static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 524: return "A Timeout Occurred"
        case 529: return "Site Overloaded"
        default: return HTTPStatusNames.phrase(status)
        }
    }

    /// `Retry-After` as delta-seconds; fractions stay decimal so fast tests can use them.
    static func retryAfterValue(_ seconds: Double) -> String {
        if seconds == seconds.rounded() { return String(Int(seconds)) }
        return String(format: "%.3f", seconds).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}

/// Reason phrases without pulling NIOHTTP1 into the response model.
enum HTTPStatusNames {
    static func phrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}
