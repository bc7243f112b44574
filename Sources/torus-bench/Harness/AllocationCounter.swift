import MallocInterposerSwift
import Synchronization

/// Counts heap allocations in the whole process over a measured window, through
/// ordo-one's malloc interposer (linked into this executable, so its `malloc` wins).
enum AllocationCounter {
    /// Starts a window from zero.
    static func start() {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.hook()
    }

    /// Ends the window; returns the allocations made in it.
    static func stop() -> Int {
        MallocInterposerSwift.unhook()
        return MallocInterposerSwift.getStatistics().mallocCount
    }
}

/// Counts heap allocations between two SIGUSR1s (``AllocationCounter``), with the count
/// of the last closed window kept for the report.
final class AllocationWindow: Sendable {
    private let isOpen = Atomic<Bool>(false)
    private let lastCount = Atomic<Int>(0)

    /// Allocations in the window closed last (0 before any window opened).
    var closed: Int { lastCount.load(ordering: .acquiring) }

    /// Starts counting from zero.
    func open() {
        isOpen.store(true, ordering: .releasing)
        AllocationCounter.start()
    }

    /// Stops counting and keeps the count; does nothing when no window is open.
    func close() {
        guard isOpen.exchange(false, ordering: .acquiringAndReleasing) else { return }
        lastCount.store(AllocationCounter.stop(), ordering: .releasing)
    }
}
