import Foundation
import Testing

@testable import Torus

/// `torus-bench serve echo --server nio`: the SwiftNIO reference server echoes, answers
/// SIGUSR1 with its allocations only, and exits 0 on SIGTERM.
@Suite(.timeLimit(.minutes(1)))
struct BenchServeTests {
    @Test func nioServerEchoesAndStopsCleanly() async throws {
        let server = try ServerProcess(["torus-bench", "serve", "echo", "--server", "nio", "--port", "0"])
        let port = try server.waitForPort()
        let bytes = randomBytes(65_536, seed: 11)
        let echoed: [UInt8] = try await withTestLoop(.ioUring) { _ in
            let client = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
            try await client.write(bytes)
            var received: [UInt8] = []
            while received.count < bytes.count {
                let chunk = try await client.read(upTo: 65_536, timeout: .seconds(10))
                if chunk.isEmpty { break }
                received += chunk
            }
            try await client.close()
            return received
        }
        #expect(echoed == bytes)
        let (status, errors) = try server.stop()
        #expect(status == 0)
        #expect(errors.contains("serve echo: swift-nio"))
    }

    @Test func aReactorForTheNIOServerIsAClearError() throws {
        let server = try ServerProcess(
            ["torus-bench", "serve", "echo", "--server", "nio", "--backend", "epoll", "--port", "0"])
        let (status, errors) = try server.waitForExit()
        #expect(status != 0)
        #expect(errors.contains("--backend applies to --server torus only"))
    }
}
