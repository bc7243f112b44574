import Histogram
import Synchronization
import Torus

/// The load generator: `connections` clients on one loop, each running one exchange at a
/// time (an echo round trip, an HTTP request and its response) and starting the next as
/// soon as it completes, with every exchange's latency recorded.
final class LoadGenerator: Sendable {
    let loop: EventLoop
    let failures = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let done = Mutex<Task<Void, Never>?>(nil)
    /// Exchange latencies in nanoseconds, up to a minute, 3 significant digits: one
    /// histogram for the whole loop, its counts allocated once, so recording allocates
    /// nothing. Every client runs on the one loop thread, so the lock is never contended.
    private let latencies = Mutex(Histogram<UInt64>(highestTrackableValue: 60_000_000_000))

    /// Connects every client, then starts the exchanges, each client with a session of
    /// its own from `makeSession` (made on the loop); returns once all are connected.
    init(
        to address: SocketAddress, connections: Int, on loop: EventLoop,
        makeSession: @escaping @Sendable () -> any LoadSession
    ) async throws {
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
                    group.addTask { await self.drive(client, makeSession()) }
                }
            }
        }
        done.withTSanVisibleLock { $0 = task }
    }

    /// Runs `session`'s exchanges on `client` until stopped or failed, then closes it.
    private func drive(_ client: TCPConnection, _ session: sending any LoadSession) async {
        do {
            while !stopping.load(ordering: .relaxed) {
                let start = ContinuousClock.now
                try await session.exchange(over: client)
                let latency = (ContinuousClock.now - start).components
                let nanoseconds = UInt64(latency.seconds) * 1_000_000_000 + UInt64(latency.attoseconds / 1_000_000_000)
                latencies.withTSanVisibleLock { _ = $0.record(nanoseconds) }
            }
        } catch {
            failures.add(1, ordering: .relaxed)
        }
        try? await client.close()
    }

    /// Forgets the latencies recorded so far: the start of a measured window.
    func resetLatencies() {
        latencies.withTSanVisibleLock { $0.reset() }
    }

    /// The latencies recorded since ``resetLatencies()``: one per exchange completed
    /// (`totalCount` counts the exchanges).
    func latencySnapshot() -> Histogram<UInt64> {
        latencies.withTSanVisibleLock { $0 }
    }

    /// Stops every client after its current exchange and closes the connections.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await done.withTSanVisibleLock { $0 }?.value
    }
}

/// One client's side of a scenario: its buffers, and one exchange with the server.
protocol LoadSession: AnyObject {
    /// One exchange over `client`: send a request, read its whole answer. Throws when
    /// the server closes early or answers wrongly.
    func exchange(over client: TCPConnection) async throws
}

/// Why a client stopped.
enum LoadError: Error {
    case closedEarly
    case badResponse
}
