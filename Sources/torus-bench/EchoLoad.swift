import Histogram
import Synchronization
import Torus

/// The load generator: `connections` clients on one loop, each sending `size` bytes and
/// waiting for all of them to come back before sending again (ping-pong), with every
/// round trip's latency recorded.
final class EchoLoad: Sendable {
    let loop: EventLoop
    let roundTrips = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let done = Mutex<Task<Void, Never>?>(nil)
    /// Round-trip latencies in nanoseconds, up to a minute, 3 significant digits: one
    /// histogram for the whole loop, its counts allocated once, so recording allocates
    /// nothing. Every client runs on the one loop thread, so the lock is never contended.
    private let latencies = Mutex(Histogram<UInt64>(highestTrackableValue: 60_000_000_000))

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
                let start = ContinuousClock.now
                try await client.write(UnsafeRawBufferPointer(message))
                var received = 0
                while received < size {
                    let count = try await client.read(into: UnsafeMutableRawBufferPointer(rebasing: reply[received...]))
                    if count == 0 { throw EchoLoadError.closedEarly }
                    received += count
                }
                let latency = (ContinuousClock.now - start).components
                let nanoseconds = UInt64(latency.seconds) * 1_000_000_000 + UInt64(latency.attoseconds / 1_000_000_000)
                latencies.withLock { _ = $0.record(nanoseconds) }
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

    /// Forgets the latencies recorded so far: the start of a measured window.
    func resetLatencies() {
        latencies.withLock { $0.reset() }
    }

    /// The latencies recorded since ``resetLatencies()``.
    func latencySnapshot() -> Histogram<UInt64> {
        latencies.withLock { $0 }
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
