import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A local HTTP/1.1 server on loopback that answers like OpenRouter's API, for the client's
/// tests, the demo and the benchmarks. Start it on port 0, point the client at `baseURL`,
/// then assert on `requests()` and `stats()`.
public final class FakeOpenRouterServer: Sendable {
    private struct Runtime {
        let group: MultiThreadedEventLoopGroup
        let pool: NIOThreadPool
        let channel: Channel
        let port: Int
    }

    private let core: FakeCore
    private let runtime = Locked<Runtime?>(nil)

    public init(configuration: FakeConfiguration) {
        core = FakeCore(configuration: configuration)
    }

    deinit {
        stop()
    }

    /// Binds and starts serving; returns the port. Calling it again returns the same port.
    @discardableResult
    public func start() throws -> Int {
        try runtime.withLock { runtime in
            if let runtime { return runtime.port }
            let config = core.config
            guard let host = FakeOpenRouterServer.loopbackBindAddress(config.host) else {
                throw FakeServerError.notLoopback(config.host)
            }
            guard (0...65535).contains(config.port) else { throw FakeServerError.badPort(config.port) }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            let core = self.core
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(FakeHTTPHandler(core: core, pool: pool))
                    }
                }
            do {
                let channel = try bootstrap.bind(host: host, port: config.port).wait()
                let port = channel.localAddress?.port ?? config.port
                runtime = Runtime(group: group, pool: pool, channel: channel, port: port)
                return port
            } catch {
                try? group.syncShutdownGracefully()
                try? pool.syncShutdownGracefully()
                throw error
            }
        }
    }

    /// Closes the listener and every connection; idempotent. Do not call from an event loop.
    public func stop() {
        guard let current = runtime.withLock({ runtime -> Runtime? in
            defer { runtime = nil }
            return runtime
        }) else { return }
        try? current.channel.close().wait()
        try? current.group.syncShutdownGracefully()
        try? current.pool.syncShutdownGracefully()
    }

    /// The bound port (the configured one before `start()`).
    public var port: Int {
        runtime.withLock { $0?.port } ?? core.config.port
    }

    /// "http://127.0.0.1:<port>/api/v1"
    public var baseURL: String {
        let host = core.config.host == "localhost" ? "127.0.0.1" : core.config.host
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)/api/v1"
    }

    /// Every request received (except `/__fake/*`), in arrival order.
    public func requests() -> [RecordedRequest] { core.requests() }

    public func stats() -> FakeStats { core.stats() }

    /// Clears recorded requests, counters, attempt history and issued generations.
    public func reset() { core.reset() }

    /// The address to bind for a loopback host name, nil for anything else.
    static func loopbackBindAddress(_ host: String) -> String? {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        if trimmed == "localhost" { return "127.0.0.1" }
        if trimmed == "::1" || trimmed == "0:0:0:0:0:0:0:1" { return trimmed }
        let octets = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127",
            octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 })
        else { return nil }
        return trimmed
    }
}

/// Why a `FakeOpenRouterServer` refused to start.
public enum FakeServerError: Error, CustomStringConvertible, Sendable {
    /// The fake only ever listens on loopback (127.0.0.0/8, ::1, localhost).
    case notLoopback(String)
    case badPort(Int)

    public var description: String {
        switch self {
        case .notLoopback(let host): return "refusing to listen on \(host): only loopback addresses are allowed"
        case .badPort(let port): return "invalid port \(port)"
        }
    }
}
