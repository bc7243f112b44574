import HeapModule

/// The loop's timers, on both reactors: a min-heap of CLOCK_BOOTTIME deadlines
/// (swift-collections `Heap`). A sleep or a waiter's deadline is one entry here, never
/// a kernel timer; the reactor's blocking wait ends no later than ``nextDeadline``.
///
/// Entries are not removed early: a timer whose waiter finished first (a cancelled sleep,
/// a queue get that got its item) goes stale and stays until its deadline. So that long
/// timeouts on many short waits cannot grow the heap without bound, the loop reports each
/// entry that goes stale (``entryWentStale(isLive:)``), and the heap is rebuilt without
/// them once they are more than half of it: each rebuild costs its size, and is paid for
/// by at least half as many stale entries since the last one (amortized O(1) each).
/// Equal deadlines fire in the order they were added.
struct TimerQueue {
    /// What a due timer does.
    enum Action {
        /// Complete a sleep.
        case fire
        /// Cancel a waiting operation as timed out (a per-call timeout).
        case timeOut
    }

    /// One timer: the waiter `id` it acts on when `deadline` comes.
    struct Entry: Comparable {
        var deadline: UInt64
        var sequence: UInt64
        var id: OperationID
        var action: Action

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }

    /// Below this many entries the heap is never rebuilt: stale entries that few cost
    /// less than rebuilding.
    static let compactionThreshold = 256

    private var heap = Heap<Entry>()
    private var sequence: UInt64 = 0
    /// Entries in the heap whose waiter already finished.
    private(set) var staleCount = 0

    /// Entries in the heap, stale ones included.
    var count: Int { heap.count }

    /// Adds a timer for `id` due at `deadline` (CLOCK_BOOTTIME nanoseconds).
    mutating func add(deadline: UInt64, id: OperationID, action: Action) {
        sequence &+= 1
        heap.insert(Entry(deadline: deadline, sequence: sequence, id: id, action: action))
    }

    /// The earliest deadline, if any timer is pending (stale or not).
    var nextDeadline: UInt64? { heap.min?.deadline }

    /// The earliest deadline of a timer `isLive` keeps, after dropping the stale entries
    /// on top: a finished operation's timeout must not wake the loop for nothing.
    mutating func nextLiveDeadline(isLive: (Entry) -> Bool) -> UInt64? {
        while let first = heap.min, !isLive(first) {
            heap.removeMin()
            staleCount -= 1
        }
        return heap.min?.deadline
    }

    /// Removes and returns the earliest timer if it is due at `now`, unless it is a
    /// `.timeOut` and `holdingTimeouts` (it then stays for the next pass).
    mutating func popDue(now: UInt64, holdingTimeouts: Bool = false) -> Entry? {
        guard let first = heap.min, first.deadline <= now else { return nil }
        if holdingTimeouts && first.action == .timeOut { return nil }
        return heap.removeMin()
    }

    /// The waiter of one entry finished before its deadline. Rebuilds the heap from the
    /// entries `isLive` keeps when stale ones are more than half of it.
    mutating func entryWentStale(isLive: (Entry) -> Bool) {
        staleCount += 1
        guard staleCount * 2 > heap.count, heap.count > Self.compactionThreshold else { return }
        var entries = heap.unordered
        heap = Heap()
        entries.removeAll { !isLive($0) }
        heap = Heap(entries)
        staleCount = 0
    }

    /// A stale entry came due and was popped.
    mutating func staleEntryRemoved() {
        staleCount -= 1
    }
}
