import Foundation
import Testing

@testable import Torus

/// Choosing a reactor: explicit, automatic with fallback, and the TORUS_BACKEND override.
/// The fallback runs a real server (`torus-bench serve echo`) in a child process under a
/// seccomp filter (`without-io-uring`) that makes io_uring_setup fail with EPERM.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct BackendSelectionTests {
    @Test func explicitBackendsAreWhatTheLoopRuns() async throws {
        for backend in [Backend.ioUring, .epoll] {
            var configuration = EventLoop.Configuration()
            configuration.backend = backend
            let loop = try await withDescriptorGate { try EventLoop(configuration: configuration) }
            #expect(loop.backend == backend)
            await loop.shutdown()
        }
        // On this machine io_uring works, so automatic resolves to it (in process).
        #expect(try Backend.automatic.resolved() == (IOUringProbe.unavailability == nil ? .ioUring : .epoll))
    }

    @Test func automaticFallsBackToEpollUnderSeccompAndStillEchoes() async throws {
        let server = try ServerProcess(["without-io-uring", "torus-bench", "serve", "echo", "--port", "0"])
        let port = try await server.waitForPort()
        let bytes = randomBytes(65_536, seed: 7)
        let echoed: [UInt8] = try await withTestLoop(.ioUring) { _ in
            let client = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
            try await client.write(bytes)
            try client.shutdown(.write)
            var received: [UInt8] = []
            while true {
                let chunk = try await client.read(upTo: 65_536, timeout: .seconds(10))
                if chunk.isEmpty { break }
                received += chunk
            }
            try await client.close()
            return received
        }
        #expect(echoed == bytes)
        let (status, errors) = await server.stop()
        #expect(status == 0)
        #expect(
            errors.contains("io_uring unavailable (io_uring_setup failed: Operation not permitted (1)); using epoll"))
        #expect(errors.contains("serve echo: epoll"))
        #expect(errors.components(separatedBy: "io_uring unavailable").count == 2, "logged once: \(errors)")
    }

    @Test func explicitIoUringWhereUnavailableIsAClearError() async throws {
        let server = try ServerProcess(
            ["without-io-uring", "torus-bench", "serve", "echo", "--backend", "io_uring", "--port", "0"])
        let (status, errors) = await server.waitForExit()
        #expect(status != 0)
        #expect(errors.contains("event loop: io_uring unavailable: io_uring_setup failed: Operation not permitted"))
    }

    @Test func environmentOverridesTheConfiguredBackend() async throws {
        let server = try ServerProcess(
            ["torus-bench", "serve", "echo", "--backend", "io_uring", "--port", "0"],
            environment: [Backend.environmentVariable: "epoll"])
        _ = try await server.waitForPort()
        let (status, errors) = await server.stop()
        #expect(status == 0)
        #expect(errors.contains("serve echo: epoll"))
    }

    @Test func aBadEnvironmentValueIsAClearError() async throws {
        let server = try ServerProcess(
            ["torus-bench", "serve", "echo", "--port", "0"], environment: [Backend.environmentVariable: "kqueue"])
        let (status, errors) = await server.waitForExit()
        #expect(status != 0)
        #expect(errors.contains("TORUS_BACKEND=kqueue: expected io_uring, epoll or automatic"))
    }
}
