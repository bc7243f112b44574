import Synchronization
import Torus

/// The load generator: `connections` clients on one loop, each sending `size` bytes and
/// waiting for all of them to come back before sending again (ping-pong).
final class EchoLoad: Sendable {
    let loop: EventLoop
    let roundTrips = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let done = Mutex<Task<Void, Never>?>(nil)

    /// Connects every client, then starts the ping-pong; returns once all are connected.
    init(to address: SocketAddress, connections: Int, size: Int, on loop: EventLoop) async throws {
        self.loop = loop
        let clients = try await loop.run {
            var clients: [TCPConnection] = []
            for _ in 0..<connections {
                let client = try await TCPConnection.connect(to: address)
                try client.setOption(.noDelay(true))
                clients.append(client)
            }
            return clients
        }
        let task = Task(executorPreference: loop) { [clients] in
            await withDiscardingTaskGroup { group in
                for client in clients {
                    group.addTask { await self.pingPong(client, size: size) }
                }
            }
        }
        done.withLock { $0 = task }
    }

    private func pingPong(_ client: TCPConnection, size: Int) async {
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 65536), alignment: 16)
        defer {
            message.deallocate()
            reply.deallocate()
        }
        for index in 0..<size { message[index] = UInt8(truncatingIfNeeded: index &* 31) }
        var local = 0
        do {
            while !stopping.load(ordering: .relaxed) {
                try await client.write(UnsafeRawBufferPointer(message))
                var received = 0
                while received < size {
                    let count = try await client.read(into: UnsafeMutableRawBufferPointer(rebasing: reply[received...]))
                    if count == 0 { throw EchoLoadError.closedEarly }
                    received += count
                }
                local += 1
                if local == 64 {
                    roundTrips.add(local, ordering: .relaxed)
                    local = 0
                }
            }
        } catch {
            failures.add(1, ordering: .relaxed)
        }
        roundTrips.add(local, ordering: .relaxed)
        try? await client.close()
    }

    /// Stops every client after its current round trip and closes the connections.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await done.withLock { $0 }?.value
    }
}

enum EchoLoadError: Error {
    case closedEarly
}
