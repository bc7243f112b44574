import Testing

@testable import Torus

/// The loop's timer heap on its own: deadline order, and the rebuild that drops stale
/// entries (the loop-level behaviour is in ``TimerTests``).
@Suite(.descriptorGate) struct TimerQueueTests {
    private func id(_ index: Int) -> OperationID { OperationID(index: UInt32(index), generation: 1) }

    @Test
    func entriesComeDueInDeadlineThenInsertionOrder() {
        var queue = TimerQueue()
        for (index, deadline) in [30, 10, 20, 10, 30].enumerated() {
            queue.add(deadline: UInt64(deadline), id: id(index), action: .fire)
        }
        #expect(queue.nextDeadline == 10)
        #expect(queue.popDue(now: 9) == nil)
        var order: [UInt32] = []
        while let entry = queue.popDue(now: 30) { order.append(entry.id.index) }
        #expect(order == [1, 3, 2, 0, 4])
        #expect(queue.count == 0 && queue.nextDeadline == nil)
    }

    /// The loop waits for the earliest live timer: stale entries on top (a read that
    /// finished long before its timeout) are dropped instead of waking it.
    @Test
    func theNextLiveDeadlineSkipsStaleEntriesOnTop() {
        var queue = TimerQueue()
        for (index, deadline) in [10, 20, 30].enumerated() {
            queue.add(deadline: UInt64(deadline), id: id(index), action: .timeOut)
        }
        let stale: Set<UInt32> = [0, 1]
        for _ in stale { queue.entryWentStale { !stale.contains($0.id.index) } }
        #expect(queue.nextLiveDeadline { !stale.contains($0.id.index) } == 30)
        #expect(queue.count == 1 && queue.staleCount == 0)
        #expect(queue.popDue(now: 30)?.id == id(2))
        #expect(queue.nextLiveDeadline { _ in true } == nil)
    }

    /// Stale entries are rebuilt away once they are more than half of a heap above the
    /// threshold; the live ones all stay, in order, and the stale count stays exact.
    @Test
    func staleEntriesAreDroppedWhenTheyAreMoreThanHalf() {
        let count = 10 * TimerQueue.compactionThreshold
        var queue = TimerQueue()
        for index in 0..<count { queue.add(deadline: UInt64(index), id: id(index), action: .timeOut) }
        // Every odd entry's waiter finishes early: half stale is kept, not rebuilt.
        var stale = Set<UInt32>()
        for index in stride(from: 1, to: count, by: 2) {
            stale.insert(UInt32(index))
            queue.entryWentStale { !stale.contains($0.id.index) }
        }
        #expect(queue.count == count && queue.staleCount == count / 2)
        // Then every even one: never more than half stale above the threshold, and the
        // heap ends at most at the threshold.
        for index in stride(from: 0, to: count, by: 2) {
            stale.insert(UInt32(index))
            queue.entryWentStale { !stale.contains($0.id.index) }
            #expect(queue.staleCount * 2 <= queue.count || queue.count <= TimerQueue.compactionThreshold)
        }
        #expect(queue.count <= TimerQueue.compactionThreshold)
        #expect(queue.staleCount == queue.count)
        var popped = 0
        while queue.popDue(now: .max) != nil {
            queue.staleEntryRemoved()
            popped += 1
        }
        #expect(queue.staleCount == 0)
        #expect(popped <= TimerQueue.compactionThreshold)
    }
}
