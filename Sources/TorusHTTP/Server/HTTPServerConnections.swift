import Torus

/// The connections one ``HTTPServer/serve()`` call serves, and where each stands, so a
/// graceful stop knows which to close at once (waiting for a request) and which to let
/// finish (a request on its way in or being answered).
///
/// `@unchecked Sendable`: loop-confined. `serve()` runs on its listener's loop thread
/// and its connection tasks are its child tasks, which inherit the loop's executor
/// preference, so every access happens on that one thread (each entry point asserts
/// it); the connection tasks only interleave at their awaits.
final class HTTPServerConnections: @unchecked Sendable {
    /// Where a connection stands between its server's reads and writes.
    enum Phase {
        /// Between requests: nothing of a next request has been read (a keep-alive
        /// connection at rest, or a new one). A stop closes it at once.
        case waitingForRequest
        /// Part of a request has been read, or one is being answered. A stop lets it
        /// finish, answered with `Connection: close`, within the grace period.
        case inRequest
    }

    /// A class, so that a phase change (two per request) writes the entry, not the
    /// dictionary: a dictionary value written in place still cost two allocations a time.
    private final class Served {
        let connection: TCPConnection
        var phase = Phase.waitingForRequest

        init(connection: TCPConnection) { self.connection = connection }
    }

    private let loop: EventLoop
    private var served: [Int: Served] = [:]
    private var nextID = 0
    /// Set once a stop began and the last connection left.
    private let drained: Event
    /// Set when a connection leaves (``waitForRoom(below:unlessClosed:)`` waits on it).
    private let room: Event

    /// Whether the server is stopping: a response then says `Connection: close` and its
    /// connection ends once it is sent.
    private(set) var isStopping = false

    /// An empty set for a server on `loop`; call on its thread.
    init(loop: EventLoop) throws {
        self.loop = loop
        drained = try Event(loop: loop)
        room = try Event(loop: loop)
    }

    /// Adds an accepted connection, waiting for its first request; returns its ID.
    func add(_ connection: TCPConnection) -> Int {
        assert(loop.isCurrent)
        nextID += 1
        served[nextID] = Served(connection: connection)
        return nextID
    }

    /// Records where connection `id` stands.
    func set(_ id: Int, _ phase: Phase) {
        assert(loop.isCurrent)
        if let entry = served[id] { entry.phase = phase }
    }

    /// Forgets connection `id` (its task is done with it).
    func remove(_ id: Int) {
        assert(loop.isCurrent)
        served[id] = nil
        try? room.set()
        if isStopping && served.isEmpty { try? drained.set() }
    }

    /// Waits until fewer than `limit` connections are served; returns false instead once
    /// `listener` is closed (checked every 100 ms while waiting: a stop must not wait
    /// for a client to leave) or the task is cancelled.
    func waitForRoom(below limit: Int, unlessClosed listener: TCPListener) async -> Bool {
        assert(loop.isCurrent)
        while served.count >= limit {
            if listener.isClosed || Task.isCancelled { return false }
            try? room.clear()
            try? await room.wait(timeout: .milliseconds(100))
        }
        return true
    }

    /// Stops gracefully (the listener is closed already): closes every connection that
    /// waits for a request, lets the others finish until `gracePeriod` has passed, then
    /// closes what is left. Returns early when the task is cancelled, closing what is left.
    func stop(gracePeriod: Duration) async {
        assert(loop.isCurrent)
        isStopping = true
        if served.isEmpty { try? drained.set() }
        for id in Array(served.keys) {
            // Checked as each is reached: one may have begun a request while another closed.
            if let waiting = served[id], waiting.phase == .waitingForRequest { try? await waiting.connection.close() }
        }
        try? await drained.wait(timeout: gracePeriod)
        for id in Array(served.keys) { try? await served[id]?.connection.close() }
    }
}
