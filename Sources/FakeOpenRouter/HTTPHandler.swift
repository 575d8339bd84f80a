import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 connection: collects a request (body up to 64 MiB, answering
/// `Expect: 100-continue`), hands it to `FakeCore` on the thread pool, then writes the reply
/// after the configured latency (a scheduled task, never a sleeping thread) with a
/// `Content-Length`, keeping the connection alive. Faults can cut, reset or stall it.
final class FakeHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maximumBody = 64 << 20

    private let core: FakeCore
    private let pool: NIOThreadPool
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// The current request was rejected at its head; ignore its remaining parts.
    private var discarding = false
    /// A request is counted in flight and its answer is not fully written yet.
    private var owesFinish = false
    /// The request in flight is a generation (counted against `FaultPlan.inFlightBudget`).
    private var owesGeneration = false
    /// A generation billed when its answer goes out (`/images`, speech), not settled yet.
    private var pendingBill: Bill?
    private var pendingTask: Scheduled<Void>?
    private var closed = false

    init(core: FakeCore, pool: NIOThreadPool) {
        self.core = core
        self.pool = pool
    }

    func channelActive(context: ChannelHandlerContext) {
        core.connectionAccepted()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        pendingTask?.cancel()
        pendingTask = nil
        settleBill(billed: false)
        finishIfOwed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            discarding = false
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            if let length, length > FakeHTTPHandler.maximumBody {
                rejectTooLarge(context: context, head: head)
                return
            }
            if let length, length > 0 { body = context.channel.allocator.buffer(capacity: length) }
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var chunk):
            guard !discarding, let head else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > FakeHTTPHandler.maximumBody {
                rejectTooLarge(context: context, head: head)
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard !discarding, let head else { return }
            self.head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            dispatch(context: context, head: head, body: bytes)
        }
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let (path, query) = FakeHTTPHandler.split(uri: head.uri)
        let request = IncomingRequest(
            method: head.method.rawValue, path: path, query: query,
            headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body,
            receivedAt: monotonicSeconds(), arrival: .now())
        if !path.hasPrefix("/__fake/") {
            let generation = Endpoint(method: head.method.rawValue, path: path) != nil
            core.requestStarted(generation: generation)
            owesFinish = true
            owesGeneration = generation
        }
        let core = self.core
        let keepAlive = head.isKeepAlive
        let version = head.version
        pool.runIfActive(eventLoop: context.eventLoop) { core.handle(request) }
            .assumeIsolated()
            .whenComplete { result in
                let reply: Reply
                switch result {
                case .success(let value): reply = value
                case .failure: reply = .error(500, "Internal Server Error", escapeSlashes: core.escape)
                }
                self.schedule(reply, arrival: request.arrival, keepAlive: keepAlive, version: version, context: context)
            }
    }

    private func schedule(
        _ reply: Reply, arrival: NIODeadline, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        pendingBill = reply.bill
        guard !closed else {
            settleBill(billed: false)
            return
        }
        let latency = reply.applyLatency ? max(core.config.latency, 0) : 0
        let wait = latency + max(reply.extraDelay, 0)
        let deadline = arrival + .nanoseconds(Int64(wait * 1_000_000_000))
        if let interval = reply.keepAliveInterval {
            writeKeepAliveHead(reply, version: version, keepAlive: keepAlive, context: context)
            keepAliveTicks(every: interval, until: deadline, context: context) {
                self.write(reply, keepAlive: keepAlive, version: version, context: context, headWritten: true)
            }
        } else if deadline <= .now() {
            write(reply, keepAlive: keepAlive, version: version, context: context)
        } else {
            pendingTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.pendingTask = nil
                self.write(reply, keepAlive: keepAlive, version: version, context: context)
            }
        }
    }

    /// Chat keep-alives: the head at once (chunked: no `Content-Length`), then a newline.
    private func writeKeepAliveHead(_ reply: Reply, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(reply.headers)
        headers.remove(name: "Content-Length")
        headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: reply.status, reasonPhrase: Reply.reasonPhrase(for: reply.status))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        settleBill(billed: true)
        writeNewline(context: context)
    }

    private func writeNewline(context: ChannelHandlerContext) {
        var newline = context.channel.allocator.buffer(capacity: 1)
        newline.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(newline))), promise: nil)
    }

    /// A newline every `interval` until `deadline`, then `done`.
    private func keepAliveTicks(
        every interval: Double, until deadline: NIODeadline, context: ChannelHandlerContext, done: @escaping () -> Void
    ) {
        guard !closed else { return }
        let next = NIODeadline.now() + .nanoseconds(Int64(interval * 1_000_000_000))
        if next >= deadline {
            if deadline <= .now() {
                done()
            } else {
                pendingTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                    self.pendingTask = nil
                    done()
                }
            }
            return
        }
        pendingTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
            self.pendingTask = nil
            guard !self.closed else { return }
            self.writeNewline(context: context)
            self.keepAliveTicks(every: interval, until: deadline, context: context, done: done)
        }
    }

    private func write(
        _ reply: Reply, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext, headWritten: Bool = false
    ) {
        guard !closed else {
            settleBill(billed: false)
            return
        }
        var headers = HTTPHeaders(reply.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.readableBytes))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.major == 1, version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: reply.status, reasonPhrase: Reply.reasonPhrase(for: reply.status))
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        let writeHead = {
            if !headWritten { context.write(self.wrapOutboundOut(.head(head)), promise: nil) }
        }

        switch reply.delivery {
        case .complete:
            // Billed as the answer goes out in full (the bill is stored before the client can ask).
            settleBill(billed: true)
            writeHead()
            if reply.body.readableBytes > 0 {
                context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
            }
            // Counted as finished as the last write is issued: a client that has read the whole
            // answer (and may send its next request) must never still see this one in flight.
            finishIfOwed()
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let done = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
                done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        case .resetMidBody, .truncated:
            let total = reply.body.readableBytes
            let sent = reply.delivery == .truncated ? total - max(1, total / 4) : total / 3
            // Answered (speech is billed), not delivered (`/images` is not).
            settleBill(answered: true)
            writeHead()
            if sent > 0, let part = reply.body.getSlice(at: reply.body.readerIndex, length: sent) {
                context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
            }
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer()))), promise: flushed)
            let reset = reply.delivery == .resetMidBody
            // Give loopback a moment to deliver what was sent, then close (with RST for a reset).
            flushed.futureResult.assumeIsolated().whenComplete { _ in
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(20)) {
                    self.finishIfOwed()
                    if reset, let provider = context.channel as? SocketOptionProvider {
                        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                            context.close(promise: nil)
                        }
                    } else {
                        context.close(promise: nil)
                    }
                }
            }
        case .stall(let seconds):
            if headWritten {
                // Keep-alives go on for the stall, then the connection closes.
                keepAliveTicks(
                    every: reply.keepAliveInterval ?? seconds,
                    until: .now() + .nanoseconds(Int64(seconds * 1_000_000_000)), context: context
                ) {
                    self.finishIfOwed()
                    context.close(promise: nil)
                }
                return
            }
            settleBill(billed: false)
            pendingTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(seconds * 1_000_000_000))) {
                self.finishIfOwed()
                context.close(promise: nil)
            }
        }
    }

    /// 413 at the head of an oversized request, then close (the body is never read).
    private func rejectTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        discarding = true
        body = nil
        let (path, _) = FakeHTTPHandler.split(uri: head.uri)
        let reply = core.tooLarge(method: head.method.rawValue, path: path)
        write(reply, keepAlive: false, version: head.version, context: context)
    }

    private func finishIfOwed() {
        if owesFinish {
            owesFinish = false
            core.requestFinished(generation: owesGeneration)
            owesGeneration = false
        }
    }

    /// Settles the pending bill: billed, or cancelled (never answered / never delivered).
    private func settleBill(billed: Bool) {
        guard let bill = pendingBill else { return }
        pendingBill = nil
        core.settle(bill, billed: billed)
    }

    /// The status line went out but not the whole body: speech (billed when answered) is
    /// billed, `/images` (billed when delivered) is not.
    private func settleBill(answered: Bool) {
        guard let bill = pendingBill else { return }
        settleBill(billed: bill.when == .answered)
    }

    /// "/api/v1/chat/completions?x=1" -> ("/chat/completions", "x=1"); trailing slashes dropped.
    static func split(uri: String) -> (path: String, query: String?) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var path = parts.first.map(String.init) ?? "/"
        let query = parts.count > 1 ? String(parts[1]) : nil
        if path == "/api/v1" {
            path = "/"
        } else if path.hasPrefix("/api/v1/") {
            path = String(path.dropFirst("/api/v1".count))
        }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return (path.isEmpty ? "/" : path, query)
    }
}

/// Monotonic seconds (the event loop's clock), for `RecordedRequest.receivedAt`.
func monotonicSeconds() -> Double {
    Double(NIODeadline.now().uptimeNanoseconds) / 1_000_000_000
}
