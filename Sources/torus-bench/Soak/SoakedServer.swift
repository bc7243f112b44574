import Torus

/// One server under soak: its child process, its clients' tally, the samples of its
/// memory and descriptors in the current interval, and the intervals so far.
final class SoakedServer {
    let target: SoakTarget
    let process: ServerUnderTest
    let tally: SoakTally
    /// Its open descriptors once listening, before any client connected.
    let descriptorsBefore: Int
    private(set) var intervals: [SoakInterval] = []
    private var residentSamples: [Int] = []
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
        descriptorsBefore = process.openDescriptors()
    }

    /// Reads its RSS and descriptors now, for the current interval.
    func sample() {
        residentSamples.append(process.residentKiB())
        descriptorSamples.append(process.openDescriptors())
    }

    /// Ends the current interval at `elapsedSeconds` from the start of the load:
    /// returns its figures (also kept for the verdict) and starts the next.
    func closeInterval(at elapsedSeconds: Double) -> SoakInterval {
        let interval = SoakInterval(
            elapsedSeconds: elapsedSeconds, counts: tally.take(), residentKiB: SoakInterval.median(residentSamples),
            descriptors: SoakInterval.median(descriptorSamples))
        intervals.append(interval)
        residentSamples.removeAll(keepingCapacity: true)
        descriptorSamples.removeAll(keepingCapacity: true)
        return interval
    }

    /// Waits, up to `timeout`, for its descriptors to come back down to
    /// ``descriptorsBefore`` once every client has closed (the server closes its side
    /// as it notices); returns how many are open then.
    func descriptorsAfterLoad(timeout: Duration) async -> Int {
        let end = ContinuousClock.now + timeout
        var open = process.openDescriptors()
        while open > descriptorsBefore, ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(50))
            open = process.openDescriptors()
        }
        return open
    }
}
