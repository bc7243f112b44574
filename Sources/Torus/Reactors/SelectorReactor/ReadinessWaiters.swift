/// The operations waiting for one kind of readiness (input or output) on a descriptor.
///
/// Almost always there is one (a connection's reader, or its writer), kept inline in the
/// descriptor's entry so waking it touches no other memory; concurrent waiters on the
/// same descriptor spill into an array. Every waiter is woken by an edge and retries
/// its call, so their order does not matter.
struct ReadinessWaiters {
    private var first: OperationID?
    private var others: [OperationID] = []

    /// Whether nobody waits.
    var isEmpty: Bool { first == nil }

    /// Every waiter, for a descriptor being closed.
    var all: [OperationID] { first.map { [$0] + others } ?? [] }

    /// Adds `id`. Waiters that ended without an edge (cancelled, timed out) are dropped
    /// here, by `isLive`, so a descriptor waited on again and again does not pile them up.
    @inline(__always)
    mutating func add(_ id: OperationID, isLive: (OperationID) -> Bool) {
        if !others.isEmpty { others.removeAll { !isLive($0) } }
        if let current = first, isLive(current) {
            others.append(id)
        } else {
            first = id
        }
    }

    /// Removes every waiter and returns them, to be woken (``wakeAll(_:)``) once the
    /// descriptor's entry is no longer being accessed: a woken callback operation may
    /// wait again at once, or register another descriptor.
    @inline(__always)
    mutating func takeAll() -> ReadinessWaiters {
        defer { self = ReadinessWaiters() }
        return self
    }

    /// Passes every waiter to `wake`.
    @inline(__always)
    func wakeAll(_ wake: (OperationID) -> Void) {
        guard let first else { return }
        wake(first)
        for id in others { wake(id) }
    }

    /// Takes back the storage of `woken` (waiters taken and woken) when none spilled
    /// here meanwhile, so descriptors with several waiters do not allocate per wait.
    @inline(__always)
    mutating func reuseStorage(of woken: inout ReadinessWaiters) {
        guard others.isEmpty, woken.others.capacity > 0 else { return }
        woken.others.removeAll(keepingCapacity: true)
        swap(&others, &woken.others)
    }
}
