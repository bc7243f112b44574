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

    /// What a connection waits for, and so what its deadline's passing means.
    enum Wait {
        /// The next request (idle keep-alive): a quiet close.
        case idle
        /// The rest of a request's head, or the next part of its body: 408, then close.
        case request
        /// The client to take a response: close.
        case send
    }

    /// One served connection: where it stands, and until when it may wait. A class, so
    /// that its task updates it in place (a value written into the dictionary cost two
    /// allocations a time). `@unchecked Sendable`: loop-confined like its set.
    final class Entry: @unchecked Sendable {
        let connection: TCPConnection
        var phase = Phase.waitingForRequest
        /// When the current wait ends, and what it waits for; nil: not waiting.
        private(set) var deadline: (instant: ContinuousClock.Instant, wait: Wait)?
        /// The wait the sweep ended by shutting the connection down, if it did.
        private(set) var expired: Wait?

        init(connection: TCPConnection) { self.connection = connection }

        /// Starts a wait that may last until `instant` (an earlier wait is replaced).
        func arm(_ wait: Wait, until instant: ContinuousClock.Instant) { deadline = (instant, wait) }

        /// Ends the current wait in time.
        func disarm() { deadline = nil }

        /// Ends the wait if it is past its deadline at `now`: shuts the reading side down
        /// (or both, when nothing more is to be sent), which ends a pending read with end
        /// of stream or a pending send with an error.
        func expire(at now: ContinuousClock.Instant) {
            guard let (instant, wait) = deadline, instant <= now else { return }
            deadline = nil
            expired = wait
            try? connection.shutdown(wait == .request ? .read : .both)
        }
    }

    private let loop: EventLoop
    private var served: [Int: Entry] = [:]
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

    /// Adds an accepted connection, waiting for its first request; returns its ID and
    /// its entry.
    func add(_ connection: TCPConnection) -> (id: Int, entry: Entry) {
        assert(loop.isCurrent)
        nextID += 1
        let entry = Entry(connection: connection)
        served[nextID] = entry
        return (nextID, entry)
    }

    /// Every `interval`, until cancelled, ends the waits that are past their deadlines:
    /// one timer for the server instead of a timeout per read and send (which cost a
    /// linked timeout per operation on io_uring, about a fifth of a request's CPU). A
    /// wait so ends up to `interval` late.
    func sweep(every interval: Duration) async {
        assert(loop.isCurrent)
        while (try? await loop.sleep(for: interval)) != nil {
            let now = ContinuousClock.now
            for entry in served.values { entry.expire(at: now) }
        }
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
