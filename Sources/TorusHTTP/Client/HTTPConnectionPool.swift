import Torus

/// The client's connections: the idle keep-alive ones, by "host:port", at most
/// `maxIdlePerHost` each, and, when `maxConnections` is set, a cap on the open ones
/// (idle and in use together), the way aiohttp's connector caps a session.
///
/// Under the cap a new connection first takes a slot (``reserveSlot()``). When none is
/// free, the longest-idle connection is closed to make one (it is to another host: the
/// request found none idle for its own); when none is idle either, the request waits in
/// line, first come first served, until a connection closes. While anyone waits, a
/// connection given back is closed rather than kept, so idle connections never hold the
/// slots that waiters need (and a waiter never waits while a connection idles).
///
/// Every connection that holds a slot is closed through ``close(_:)``, which frees it.
/// Loop-local: used only on its client's loop thread.
final class HTTPConnectionPool {
    /// Idle connections per key, oldest first, each stamped with when it went idle.
    private var idle: [String: [(connection: HTTPClientConnection, since: UInt64)]] = [:]
    /// Connections given back so far: the idle stamps, which order connections by age.
    private var givenBack: UInt64 = 0
    private let maxIdlePerHost: Int
    /// One permit per connection that may be open; nil without a cap.
    private let slots: Semaphore?
    /// Slots held: connections open or being opened.
    private var slotsHeld = 0
    private let maxConnections: Int
    /// Requests waiting in line for a slot.
    private var waiting = 0

    /// A pool keeping `maxIdlePerHost` idle connections per host and at most
    /// `maxConnections` open in all (nil: no cap), on `loop`.
    /// - Throws: ``Torus/TorusError`` `.invalidArgument` when `maxConnections` is below 1.
    init(maxIdlePerHost: Int, maxConnections: Int?, loop: EventLoop) throws {
        if let maxConnections, maxConnections < 1 {
            throw TorusError(.semaphore, .invalidArgument("maxConnections \(maxConnections) is below 1"))
        }
        self.maxIdlePerHost = maxIdlePerHost
        self.maxConnections = maxConnections ?? .max
        slots = try maxConnections.map { try Semaphore(value: $0, loop: loop) }
    }

    /// An idle connection to `key`, most recently used first.
    func take(_ key: String) -> HTTPClientConnection? {
        idle[key]?.popLast()?.connection
    }

    /// Takes a slot for a new connection: a free one, or one freed by closing the
    /// longest-idle connection, or else the next one to be freed, waiting in line for
    /// it. Returns whether it waited. Pair with ``releaseSlot()`` when the connection is
    /// not made, and close a connection made with ``close(_:)``.
    /// - Throws: `CancellationError` while waiting (no slot is held then).
    func reserveSlot() async throws -> Bool {
        guard let slots else { return false }
        if slotsHeld >= maxConnections, let oldest = takeOldestIdle() { await close(oldest) }
        let waits = slotsHeld >= maxConnections
        waiting += 1
        defer { waiting -= 1 }
        try await slots.acquire()
        slotsHeld += 1
        return waits
    }

    /// Frees a slot taken by ``reserveSlot()`` for a connection that was not made: to the
    /// longest waiter, if any.
    func releaseSlot() {
        guard let slots else { return }
        slotsHeld -= 1
        // Cannot throw: on the loop (the pool's only thread) and never above the initial
        // value, as every release follows an acquire.
        try? slots.release()
    }

    /// Keeps `connection` for reuse, or closes it when its host has enough idle ones or
    /// someone waits for a slot.
    func giveBack(_ connection: HTTPClientConnection) async {
        if waiting == 0, idle[connection.key, default: []].count < maxIdlePerHost {
            givenBack += 1
            idle[connection.key, default: []].append((connection, givenBack))
        } else {
            await close(connection)
        }
    }

    /// Closes `connection` (taken from the pool, or made after ``reserveSlot()``) and
    /// frees its slot.
    func close(_ connection: HTTPClientConnection) async {
        await connection.close()
        releaseSlot()
    }

    /// Closes every idle connection.
    func closeAll() async {
        let all = idle.values.joined().map(\.connection)
        idle = [:]
        for connection in all { await close(connection) }
    }

    /// Removes and returns the connection that has been idle longest, of any host.
    private func takeOldestIdle() -> HTTPClientConnection? {
        let oldest = idle.compactMap { key, connections in connections.first.map { (key, $0.since) } }
            .min { $0.1 < $1.1 }
        guard let (key, _) = oldest else { return nil }
        return idle[key]?.removeFirst().connection
    }
}
