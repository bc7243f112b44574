import DequeModule

/// The FIFO line of tasks waiting on a ``LoopBound`` primitive, each with a `Payload`
/// (a waiting `put`'s item; `Void` for the others).
///
/// Waiters that left early (cancelled, timed out) stay in the line until they reach its
/// front, where ``resumeFirst(with:on:)`` skips them (their slot's generation moved on,
/// so ``EventLoop/resumeWaiter(_:result:)`` refuses them), or until the line is
/// compacted: ``append(_:_:on:)`` drops them whenever the line has doubled since the
/// last compaction, so a line that only ever times out stays bounded.
struct WaiterLine<Payload> {
    private var entries = Deque<(id: OperationID, payload: Payload)>()
    private var compactionThreshold = Self.minimumCompactionThreshold
    private static var minimumCompactionThreshold: Int { 64 }

    /// Queues a waiter at the back of the line.
    mutating func append(_ id: OperationID, _ payload: Payload, on loop: EventLoop) {
        if entries.count >= compactionThreshold {
            entries.removeAll { loop.slots.slot(for: $0.id) == nil }
            compactionThreshold = max(Self.minimumCompactionThreshold, 2 * entries.count)
        }
        entries.append((id, payload))
    }

    /// Resumes the oldest waiter still waiting with `result` and returns its payload, or
    /// nil when nobody waits.
    mutating func resumeFirst(with result: Int32, on loop: EventLoop) -> Payload? {
        while let entry = entries.popFirst() {
            if loop.resumeWaiter(entry.id, result: result) { return entry.payload }
        }
        return nil
    }

    /// Resumes every waiter with `result`.
    mutating func resumeAll(with result: Int32, on loop: EventLoop) {
        while resumeFirst(with: result, on: loop) != nil {}
    }
}
