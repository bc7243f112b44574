import TorusTestSupport
import Foundation

/// What a `serve timers` child does: `count` sleeps of random lengths up to `maxMilliseconds`,
/// all started at once against deadlines relative to one start instant, so the last one
/// should fire at start + the longest; how much later it fires is the runtime's lateness.
struct TimerPlan: Sendable {
    /// Each sleep's length in nanoseconds, from a fixed seed (every contender sleeps the
    /// same lengths).
    let delays: [Int64]

    /// Draws `count` lengths in 0...`maxMilliseconds` ms, at microsecond granularity.
    init(count: Int, maxMilliseconds: Int) {
        var random = SplitMix64(seed: 7)
        let microseconds = UInt64(maxMilliseconds) * 1000 + 1
        delays = (0..<count).map { _ in Int64(random.next() % microseconds) * 1000 }
    }

    /// Reports `fired` timers, the first started at `start`, the last done at `end`.
    func finish(fired: Int, start: ContinuousClock.Instant, end: ContinuousClock.Instant) async throws {
        let wall = end - start
        let wallMilliseconds = wall / .milliseconds(1)
        let longest = Double(delays.max() ?? 0) / 1e6
        try await ScenarioChild.finish([
            "fired": String(fired), "wall_ms": String(wallMilliseconds), "late_ms": String(wallMilliseconds - longest),
        ])
    }
}
