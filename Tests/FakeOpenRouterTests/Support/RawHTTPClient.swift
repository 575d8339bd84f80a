import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A parsed HTTP response from the raw client.
struct HTTPResult {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

enum RawHTTPError: Error, CustomStringConvertible {
    case connect(Int32)
    /// The peer closed (or reset) the connection.
    case closed(received: Int)
    /// Nothing arrived within the socket timeout: the peer is silent, not gone.
    case timedOut(received: Int)
    case malformed(String)

    var description: String {
        switch self {
        case .connect(let code): return "connect failed: errno \(code)"
        case .closed(let received): return "connection closed after \(received) body bytes"
        case .timedOut(let received): return "nothing more within the socket timeout after \(received) body bytes"
        case .malformed(let text): return "malformed response: \(text)"
        }
    }
}

/// A deliberately tiny HTTP/1.1 client over a POSIX socket: it lets tests send several
/// requests on one connection (keep-alive) and observe cut or reset bodies byte by byte,
/// without URLSession's own connection pooling and retries getting in the way.
final class RawHTTPConnection {
    private let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = Int(hangDeadline)) throws {
        #if canImport(Glibc)
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            let code = errno
            close(fd)
            throw RawHTTPError.connect(code)
        }
    }

    deinit { close(fd) }

    func send(
        _ method: String, _ path: String, body: [UInt8] = [], key: String? = "test-key",
        headers: [(String, String)] = []
    ) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let key { head += "Authorization: Bearer \(key)\r\n" }
        if method == "POST" { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        writeAll(Array(head.utf8) + body)
    }

    func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Reads one response framed by Content-Length (or chunked); throws if the peer closes early.
    func readResponse() throws -> HTTPResult {
        let head = try readHead()
        if head.header("Transfer-Encoding")?.lowercased() == "chunked" {
            return HTTPResult(status: head.status, headers: head.headers, body: try readChunkedBody())
        }
        let length = head.headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while pending.count < length {
            guard try fill(received: pending.count) else { throw RawHTTPError.closed(received: pending.count) }
        }
        let body = Array(pending[..<length])
        pending.removeFirst(length)
        return HTTPResult(status: head.status, headers: head.headers, body: body)
    }

    /// Reads the status line and headers only (skipping a 100 Continue): the body, if any,
    /// is left to read. Lets a test see the headers of an answer whose body is then cut.
    func readHead() throws -> HTTPResult {
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = find([13, 10, 13, 10], in: pending)
            if headerEnd == nil { guard try fill(received: 0) else { throw RawHTTPError.closed(received: 0) } }
        }
        let headText = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        pending.removeFirst(headerEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError.malformed(headText) }
        let headers: [(name: String, value: String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        if status == 100 { return try readHead() }
        return HTTPResult(status: status, headers: headers, body: [])
    }

    /// A chunked body to its last (empty) chunk; throws if the peer closes first.
    func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = find([13, 10], in: pending)
            while lineEnd == nil {
                guard try fill(received: body.count) else { throw RawHTTPError.closed(received: body.count) }
                lineEnd = find([13, 10], in: pending)
            }
            let sizeText = String(decoding: pending[..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw RawHTTPError.malformed("chunk size \(sizeText)")
            }
            pending.removeFirst(lineEnd! + 2)
            while pending.count < size + 2 {
                guard try fill(received: body.count) else { throw RawHTTPError.closed(received: body.count) }
            }
            body += pending[..<size]
            pending.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    /// Seconds until the first byte of an answer arrives (nothing is consumed), or nil if the
    /// peer closes or stays silent for the socket timeout.
    func secondsToFirstByte(since start: Double) -> Double? {
        if !pending.isEmpty { return monotonicNow() - start }
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK))
        return count == 1 ? monotonicNow() - start : nil
    }

    /// True once the peer has closed (reads 0 bytes or fails) within the socket timeout;
    /// false if data arrives or the timeout passes first.
    func waitForClose() -> Bool {
        do { return try !fill(received: 0) } catch { return false }
    }

    /// Reads what is there: false once the peer has closed or reset the connection; throws
    /// `timedOut` when nothing arrives within the socket timeout.
    private func fill(received: Int) throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw RawHTTPError.timedOut(received: received) }
        if count <= 0 { return false }
        pending += buffer[..<count]
        return true
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}
