import Torus

/// One server under soak: its child process, its clients' tally, the descriptor counts
/// sampled in the current interval, and the intervals so far.
final class SoakedServer {
    let target: SoakTarget
    let process: ServerUnderTest
    let tally: SoakTally
    /// Its open sockets once listening, before any client connected: the listener.
    let socketsBefore: Int
    private(set) var intervals: [SoakInterval] = []
    private var descriptorSamples: [Int] = []

    /// Its name in the report lines.
    var name: String { process.name }

    /// Starts `target`'s server for `connections` clients (not pinned: the soak's
    /// servers and its client share the cores).
    init(_ target: SoakTarget, connections: Int) throws {
        self.target = target
        let process = try ServerUnderTest(target.server, connections: connections, pinned: false)
        self.process = process
        tally = SoakTally(server: process.name)
        socketsBefore = process.openSockets()
    }

    /// Counts its open descriptors now, for the current interval.
    func sampleDescriptors() {
        descriptorSamples.append(process.openDescriptors())
    }

    /// Ends the current interval at `elapsedSeconds` from the start of the load, reading
    /// the server's RSS now: returns its figures (also kept for the verdict) and starts
    /// the next.
    func closeInterval(at elapsedSeconds: Double) -> SoakInterval {
        let interval = SoakInterval(
            elapsedSeconds: elapsedSeconds, counts: tally.take(), residentKiB: process.residentKiB(),
            descriptors: descriptorSamples.sorted()[descriptorSamples.count / 2])
        intervals.append(interval)
        descriptorSamples.removeAll(keepingCapacity: true)
        return interval
    }

    /// Waits, up to `timeout`, for its sockets to come back down to ``socketsBefore``
    /// once every client has closed (the server closes its side as it notices); returns
    /// how many are open then.
    func socketsAfterLoad(timeout: Duration) async -> Int {
        let end = ContinuousClock.now + timeout
        var open = process.openSockets()
        while open > socketsBefore, ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(50))
            open = process.openSockets()
        }
        return open
    }
}
