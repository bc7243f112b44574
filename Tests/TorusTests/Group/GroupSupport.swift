import Foundation
import Synchronization
import Testing

@testable import Torus

extension TestBackend {
    /// A group configuration of `loops` loops on this reactor, threads named `threadName-<i>`.
    func groupConfiguration(loops: Int, threadName: String = "torus-grp") -> EventLoopGroup.Configuration {
        var group = EventLoopGroup.Configuration()
        group.loopCount = loops
        group.loop = configuration
        group.loop.threadName = threadName
        return group
    }
}

/// Runs `body` with a new group of `loops` loops on `backend` (holding the descriptor gate
/// shared), then shuts the group down gracefully, also when `body` throws.
func withTestGroup<Result: Sendable>(
    _ backend: TestBackend, loops: Int = 2, _ body: (EventLoopGroup) async throws -> Result
) async throws -> Result {
    try await withDescriptorGate {
        let group = try EventLoopGroup(configuration: backend.groupConfiguration(loops: loops))
        do {
            let result = try await body(group)
            await group.shutdownGracefully(gracePeriod: .seconds(5))
            return result
        } catch {
            await group.shutdownGracefully(gracePeriod: .zero)
            throw error
        }
    }
}

/// The threads of this process whose name starts with `prefix` (`/proc/self/task/*/comm`).
func threads(named prefix: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { task in
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
        return comm.hasPrefix(prefix)
    }.count
}

/// The descriptors this process has open, each with what it is (`/proc/self/fd`; the
/// directory's own descriptor, which the listing opens, is among them).
func openDescriptors() -> [String: String] {
    let numbers = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var open: [String: String] = [:]
    for number in numbers {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(number)")
        else { continue }  // the listing's own, closed by now
        open[number] = target
    }
    return open
}

/// Connects `count` clients to `address` on `loop`, each sending `message` and reading it
/// back byte-exact; returns the connections, still open.
func connectEchoClients(
    _ count: Int, to address: SocketAddress, on loop: EventLoop, message: [UInt8]
) async throws -> [TCPConnection] {
    try await loop.run {
        var clients: [TCPConnection] = []
        for _ in 0..<count {
            let client = try await TCPConnection.connect(to: address)
            clients.append(client)
            try await client.write(message)
            #expect(try await client.read(exactly: message.count) == message)
        }
        return clients
    }
}

/// Echoes in the connection's task until the peer ends or an error, then closes it.
func echoUntilEnd(_ connection: TCPConnection) async {
    while let bytes = try? await connection.read(upTo: 65536), !bytes.isEmpty {
        guard (try? await connection.write(bytes)) != nil else { break }
    }
    try? await connection.close()
}
