import Logging
import ServiceLifecycle
import Testing
import TorusHTTP
import TorusService

@testable import Torus

/// ``HTTPServerService`` in a swift-service-lifecycle `ServiceGroup`, in this process:
/// the group's graceful shutdown is `HTTPServer.stop()` (requests in flight answered,
/// idle connections closed), cancellation stops at once. StopOnSignalTests drives the
/// same service with a real SIGTERM in a child process.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct HTTPServerServiceTests {
    /// Graceful shutdown while one client is idle and another waits for its answer: the
    /// idle one reads end of stream at once, the other gets its answer with
    /// `Connection: close`, and the group's `run()` returns.
    @Test(arguments: TestBackend.allCases)
    func gracefulShutdownAnswersTheRequestInFlight(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let entered = try Event(loop: loop)
            let release = try Event(loop: loop)
            let listener = try TCPListener.bind(to: .loopbackV4)
            let server = HTTPServer(listener: listener) { request, _ in
                if request.path == "/slow" {
                    try entered.set()
                    try await release.wait()
                }
                return HTTPServerResponse(contentType: "text/plain", text: "answer")
            }
            let group = ServiceGroup(services: [HTTPServerService(server)], logger: Logger(label: "test"))
            let running = Task(executorPreference: loop) { try await group.run() }
            let idle = try await TCPConnection.connect(to: listener.localAddress)
            try await idle.write(keepAliveRequest("/a"))
            #expect(try await readHTTPResponse(idle).hasSuffix("answer"))
            let slow = try await TCPConnection.connect(to: listener.localAddress)
            try await slow.write(keepAliveRequest("/slow"))
            try await entered.wait(timeout: .seconds(5))
            await group.triggerGracefulShutdown()
            #expect(try await idle.read(upTo: 100, timeout: .seconds(5)).isEmpty, "the idle connection stayed open")
            try release.set()
            let answer = try await readHTTPResponse(slow)
            #expect(answer.hasSuffix("answer") && answer.lowercased().contains("connection: close"), "\(answer)")
            #expect(try await slow.read(upTo: 100, timeout: .seconds(5)).isEmpty)
            try await running.value
            try await idle.close()
            try await slow.close()
        }
    }

    /// Cancelling the service's task stops the server at once, a handler in the middle
    /// of a minute-long request and a minute of grace period notwithstanding.
    @Test(arguments: TestBackend.allCases)
    func cancellationStopsAtOnce(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let entered = try Event(loop: loop)
            let listener = try TCPListener.bind(to: .loopbackV4)
            var server = HTTPServer(listener: listener) { _, _ in
                try entered.set()
                try await Task.sleep(for: .seconds(60))
                return HTTPServerResponse(contentType: "text/plain", text: "late")
            }
            server.gracePeriod = .seconds(60)
            let service = HTTPServerService(server)
            let running = Task(executorPreference: loop) { try await service.run() }
            let client = try await TCPConnection.connect(to: listener.localAddress)
            try await client.write(keepAliveRequest("/"))
            try await entered.wait(timeout: .seconds(5))
            let start = ContinuousClock.now
            running.cancel()
            _ = await running.result
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty)
            try await client.close()
        }
    }
}
