import HeapModule

/// The selector reactor's timers: a min-heap of deadlines (swift-collections `Heap`).
///
/// Entries are never removed early: a timer whose operation finished first is stale
/// (its slot generation moved on) and is dropped when it comes due. Equal deadlines
/// fire in the order they were added.
struct TimerQueue {
    /// What a due timer does.
    enum Action {
        /// Complete a sleep.
        case fire
        /// Cancel a waiting operation as timed out (a per-call timeout).
        case timeOut
    }

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

    private var heap = Heap<Entry>()
    private var sequence: UInt64 = 0

    /// Adds a timer for `id` due at `deadline` (CLOCK_BOOTTIME nanoseconds).
    mutating func add(deadline: UInt64, id: OperationID, action: Action) {
        sequence &+= 1
        heap.insert(Entry(deadline: deadline, sequence: sequence, id: id, action: action))
    }

    /// The earliest deadline, if any timer is pending.
    var nextDeadline: UInt64? { heap.min?.deadline }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = heap.min, first.deadline <= now else { return nil }
        return heap.removeMin()
    }
}
