import Foundation
import Histogram
import Synchronization

/// What one server's soak clients did since the last ``take()``: exchanges completed and
/// their latencies, connections opened, the resets the soak made on purpose, and the
/// errors nobody asked for. The first few errors are also written to stderr as they
/// happen, so a failed soak says what went wrong.
final class SoakTally: Sendable {
    /// One interval's counts, as ``take()`` returns them.
    struct Counts {
        var exchanges = 0
        var connections = 0
        /// Connections the soak reset on purpose (SO_LINGER 0 mid-exchange): expected.
        var resets = 0
        /// Stalled clients (``StalledClient``) the server pushed back: it stopped taking
        /// their requests while they did not read.
        var pushedBack = 0
        /// Everything else that failed: connects, sends, reads, wrong bytes, timeouts.
        var unexpectedErrors = 0
        /// The 99th percentile of the exchanges' latencies, in microseconds (0 when none).
        var p99Microseconds = 0.0
    }

    /// How many errors per server are written to stderr in full.
    static let errorsDescribed = 10

    private let server: String
    /// Latencies in nanoseconds, up to a minute, 3 significant digits, allocated once.
    /// Every client runs on the one client loop, so the lock is never contended.
    private let state = Mutex((counts: Counts(), latencies: Histogram<UInt64>(highestTrackableValue: 60_000_000_000)))
    private let errorsSeen = Atomic<Int>(0)

    /// A tally for the clients of `server` (its name, for the error lines).
    init(server: String) { self.server = server }

    /// One exchange completed in `latency`.
    func exchanged(in latency: Duration) {
        let (seconds, attoseconds) = latency.components
        let nanoseconds = UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
        state.withTSanVisibleLock {
            $0.counts.exchanges += 1
            _ = $0.latencies.record(nanoseconds)
        }
    }

    /// A connection was opened.
    func connected() { state.withTSanVisibleLock { $0.counts.connections += 1 } }

    /// A connection was reset on purpose.
    func reset() { state.withTSanVisibleLock { $0.counts.resets += 1 } }

    /// A stalled client was pushed back.
    func wasPushedBack() { state.withTSanVisibleLock { $0.counts.pushedBack += 1 } }

    /// Something failed that should not have.
    func failed(_ error: any Error) {
        state.withTSanVisibleLock { $0.counts.unexpectedErrors += 1 }
        let seen = errorsSeen.add(1, ordering: .relaxed).newValue
        if seen <= Self.errorsDescribed {
            FileHandle.standardError.write(Data("soak: \(server): unexpected error \(seen): \(error)\n".utf8))
        }
    }

    /// The counts since the previous call, which starts the next interval.
    func take() -> Counts {
        state.withTSanVisibleLock {
            var counts = $0.counts
            counts.p99Microseconds =
                $0.latencies.totalCount == 0 ? 0 : Double($0.latencies.valueAtPercentile(99)) / 1000
            $0.counts = Counts()
            $0.latencies.reset()
            return counts
        }
    }
}
