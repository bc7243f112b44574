import Foundation
import Testing
import TorusHTTP

@testable import Torus

/// HTTPServer's graceful stop (``HTTPServer/stop()``) and its immediate one (the serving
/// task cancelled): idle keep-alive connections close at once, a request in flight or on
/// its way in is answered with `Connection: close`, the grace period bounds the wait,
/// and `serve()` returns with every descriptor closed (``withTestLoop`` checks).
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct HTTPServerStopTests {
    /// A keep-alive client at rest: the stop closes its connection at once (it reads end
    /// of stream) and `serve()` returns, long before the 30-second grace period.
    @Test(arguments: TestBackend.allCases)
    func anIdleKeepAliveConnectionIsClosedAtOnce(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let (server, serving) = try startServer(on: loop, gracePeriod: .seconds(30)) { _ in "hello" }
            let client = try await TCPConnection.connect(to: server.listener.localAddress)
            try await client.write(keepAliveRequest("/a"))
            let first = try await readHTTPResponse(client)
            #expect(first.hasSuffix("\r\n\r\nhello") && !first.lowercased().contains("connection: close"), "\(first)")
            await server.stop()
            #expect(await finishes(serving, within: .seconds(5)), "serve() waited for an idle keep-alive client")
            #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty, "the idle connection stayed open")
            try await client.close()
        }
    }

    /// A request whose handler is still working when the stop comes, and a second
    /// connection whose request head has only partly arrived: both are answered in full,
    /// with `Connection: close`, then closed; `serve()` returns once both are done.
    @Test(arguments: TestBackend.allCases)
    func requestsInFlightAreAnsweredWithConnectionClose(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let entered = try Event(loop: loop)
            let release = try Event(loop: loop)
            let (server, serving) = try startServer(on: loop, gracePeriod: .seconds(30)) { path in
                if path == "/slow" {
                    try entered.set()
                    try await release.wait()
                }
                return "answer to \(path)"
            }
            let slow = try await TCPConnection.connect(to: server.listener.localAddress)
            let partial = try await TCPConnection.connect(to: server.listener.localAddress)
            try await slow.write(keepAliveRequest("/slow"))
            let head = keepAliveRequest("/partial")
            try await partial.write(Array(head.prefix(20)))
            try await entered.wait(timeout: .seconds(5))
            // Loopback delivers at once; the pause lets the server read the partial head.
            try await loop.sleep(for: .milliseconds(200))
            await server.stop()
            try await loop.sleep(for: .milliseconds(100))
            try await partial.write(Array(head.dropFirst(20)))
            let partialAnswer = try await readHTTPResponse(partial)
            #expect(partialAnswer.hasSuffix("answer to /partial"), "\(partialAnswer)")
            #expect(partialAnswer.lowercased().contains("connection: close"), "\(partialAnswer)")
            try release.set()
            let slowAnswer = try await readHTTPResponse(slow)
            #expect(slowAnswer.hasPrefix("HTTP/1.1 200 OK") && slowAnswer.hasSuffix("answer to /slow"), "\(slowAnswer)")
            #expect(slowAnswer.lowercased().contains("connection: close"), "\(slowAnswer)")
            #expect(await finishes(serving, within: .seconds(5)))
            for client in [slow, partial] {
                #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty)
                try await client.close()
            }
        }
    }

    /// A handler that does not finish within the grace period: its connection is closed
    /// without an answer, the handler's task is cancelled, and `serve()` returns.
    @Test(arguments: TestBackend.allCases)
    func theGracePeriodBoundsTheStop(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let entered = try Event(loop: loop)
            let cancelled = try Event(loop: loop)
            let (server, serving) = try startServer(on: loop, gracePeriod: .milliseconds(200)) { _ in
                try entered.set()
                do {
                    try await loop.sleep(for: .seconds(60))
                } catch {
                    try cancelled.set()
                    throw error
                }
                return "too late"
            }
            let client = try await TCPConnection.connect(to: server.listener.localAddress)
            try await client.write(keepAliveRequest("/stuck"))
            try await entered.wait(timeout: .seconds(5))
            await server.stop()
            #expect(await finishes(serving, within: .seconds(5)), "serve() outlived its grace period")
            #expect(try cancelled.isSet, "the stuck handler was not cancelled")
            #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty)
            try await client.close()
        }
    }

    /// Cancelling the serving task stops at once, whatever is in flight: the handler's
    /// task is cancelled, every connection closed, and `serve()` returns.
    @Test(arguments: TestBackend.allCases)
    func cancellingTheServingTaskStopsAtOnce(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let entered = try Event(loop: loop)
            let (server, serving) = try startServer(on: loop, gracePeriod: .seconds(30)) { path in
                if path == "/slow" {
                    try entered.set()
                    try await loop.sleep(for: .seconds(60))
                }
                return "answer"
            }
            let idle = try await TCPConnection.connect(to: server.listener.localAddress)
            try await idle.write(keepAliveRequest("/"))
            _ = try await readHTTPResponse(idle)
            let busy = try await TCPConnection.connect(to: server.listener.localAddress)
            try await busy.write(keepAliveRequest("/slow"))
            try await entered.wait(timeout: .seconds(5))
            serving.cancel()
            #expect(await finishes(serving, within: .seconds(5)))
            for client in [idle, busy] {
                #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty)
                try await client.close()
            }
        }
    }

    // MARK: Helpers

    /// Starts an HTTPServer on 127.0.0.1 in a task pinned to `loop`, answering each
    /// request with the text `answer` returns for its path.
    private func startServer(
        on loop: EventLoop, gracePeriod: Duration, _ answer: @escaping @Sendable (String) async throws -> String
    ) throws -> (HTTPServer, Task<Void, any Error>) {
        let listener = try TCPListener.bind(to: .loopbackV4)
        var server = HTTPServer(listener: listener) { request, _ in
            HTTPServerResponse(contentType: "text/plain", text: try await answer(request.path ?? "/"))
        }
        server.gracePeriod = gracePeriod
        let configured = server
        return (server, Task(executorPreference: loop) { try await configured.serve() })
    }

    /// Whether `serving` ends within `limit`; if not, it is cancelled (stopping the server
    /// at once) and waited for, so the test goes on with nothing left running.
    private func finishes(_ serving: Task<Void, any Error>, within limit: Duration) async -> Bool {
        do {
            try await withTimeout(limit) {
                try await withTaskCancellationHandler {
                    try await serving.value
                } onCancel: {
                    serving.cancel()
                }
            }
            return true
        } catch {
            _ = await serving.result
            return false
        }
    }
}
