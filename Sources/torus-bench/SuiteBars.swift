import Synchronization
import TorusBenchCharts

/// The bars every scenario of a suite reported so far: the scenarios run as they do on
/// their own and hand their medians' bars to the suite through the task-local
/// ``current`` (set while the suite runs them), so no scenario knows about the suite.
final class SuiteBars: Sendable {
    /// The collection of the suite running the current task, if any.
    @TaskLocal static var current: SuiteBars?

    private let bars = Mutex<[Bar]>([])

    /// Adds `bars` (a scenario reports its whole table again after every step; the
    /// charts keep the latest bar of each series and group).
    func add(_ new: [Bar]) {
        bars.withLock { $0 += new }
    }

    /// Every bar so far, in the order reported.
    var all: [Bar] { bars.withLock { $0 } }
}
