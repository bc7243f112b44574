import Torus
import TorusCrawl
import TorusHTTP

/// A ``GeneratedSite`` served by a TorusHTTP server on a loop of its own (its own
/// thread), for `--self-test-site`.
struct SiteServer: Sendable {
    /// The site's first page.
    let rootURL: String
    private let loop: EventLoop
    private let server: HTTPServer
    private let task: Task<Void, any Error>

    /// Starts serving `pages` pages on 127.0.0.1 (a port the kernel picks).
    static func start(pages: Int, configuration: EventLoop.Configuration) async throws -> SiteServer {
        var configuration = configuration
        configuration.threadName = "torus-site"
        let loop = try EventLoop(configuration: configuration)
        let site = GeneratedSite(pages: pages)
        let listener = try await loop.run { try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!) }
        let server = HTTPServer(listener: listener) { request, _ in site.response(for: request.path ?? "/") }
        let task = Task(executorPreference: loop) { try await server.serve() }
        return SiteServer(
            rootURL: "http://127.0.0.1:\(listener.localAddress.port)\(site.rootPath)", loop: loop, server: server,
            task: task)
    }

    /// Stops the server gracefully (``HTTPServer/stop()``: idle keep-alive connections
    /// close at once, requests in flight are answered), then its loop.
    func stop() async {
        await server.stop()
        _ = await task.result
        await loop.shutdown()
    }
}
