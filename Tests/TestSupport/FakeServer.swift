import FakeOpenRouter
import Foundation

/// Starts a fake OpenRouter in this process on a free loopback port; the caller stops it
/// (`defer { server.stop() }`). MediaBatchTests' `startFake` also starts mediabatch's runtime.
public func startServer(_ configure: (inout FakeConfiguration) -> Void = { _ in }) throws -> FakeOpenRouterServer {
    var configuration = FakeConfiguration()
    configure(&configuration)
    let server = FakeOpenRouterServer(configuration: configuration)
    try server.start()
    return server
}

/// The image generations the fake received, in arrival order.
public func generationRequests(_ server: FakeOpenRouterServer) -> [RecordedRequest] {
    server.requests().filter { $0.path == "/chat/completions" }
}

/// The prompt a chat request carried.
public func prompt(of request: RecordedRequest) -> String? {
    ((request.json()?["messages"] as? [[String: Any]])?.first?["content"]) as? String
}
