import MallocInterposerSwift

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
