import Glibc
import Testing

@testable import Torus

/// The generation check: a completion whose `user_data` names a slot's earlier (or any
/// other) generation is counted as stale and never resumes the slot's current occupant.
///
/// These tests reach into the loop (`slots`, `reactor.prepareRawNop`) and run only on
/// the io_uring backend, where a completion can be injected.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct StaleCompletionTests {
    /// What a task occupying a slot observed, kept on the loop thread.
    final class Occupant: @unchecked Sendable {
        // @unchecked Sendable: loop-confined (written and read only on the test's loop).
        var id: OperationID?
        var completion: Completion?
        var resumed = false
    }

    @Test func staleCompletionDoesNotResumeTheWaiterNowInTheSlot() async throws {
        try await withTestLoop(.ioUring) { loop in
            // An operation's ID, then the slot freed: its generation moves on.
            let old = loop.slots.allocate()
            loop.slots.release(old.index)

            // The slot's next occupant: a waiter only the loop itself would resume.
            let occupant = Occupant()
            let task = Task(executorPreference: loop) {
                let completion = await loop.suspendAsWaiter { occupant.id = $0 }
                occupant.completion = completion
                occupant.resumed = true
            }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            let current = try #require(occupant.id)
            #expect(current.index == old.index, "the freed slot is reused first")
            #expect(current.generation == old.generation + 1)

            let before = await loop.statistics
            loop.completionReactor.prepareRawNop(userData: old.userData)
            try await loop.nop()  // submitted after the stale NOP, so reaped after it
            for _ in 0..<10 { await Task.yield() }  // a wrongly resumed task would run here
            let after = await loop.statistics
            #expect(after.staleCompletions == before.staleCompletions + 1)
            #expect(!occupant.resumed, "the stale completion resumed the slot's new occupant")
            #expect(loop.slots.slot(for: current) != nil, "the occupant lost its slot")

            // The occupant still ends normally: cancelled, with the waiter's result.
            task.cancel()
            await task.value
            #expect(occupant.resumed)
            #expect(occupant.completion?.cancelled == true)
            #expect(occupant.completion?.result == -ECANCELED)
        }
    }

    @Test func staleCompletionDoesNotEndASleepNowInTheSlot() async throws {
        try await withTestLoop(.ioUring) { loop in
            // A real operation runs in the slot first and completes, freeing it.
            try await loop.nop()
            let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
            #expect(await waitUntil(loop) { $0.operationSlotsInUse == 1 })
            var ids: [OperationID] = []
            loop.slots.forEachInUse { ids.append($0) }
            let current = try #require(ids.first)
            #expect(ids.count == 1)
            #expect(current.generation > 1, "the slot was used before")
            let old = OperationID(index: current.index, generation: current.generation - 1)

            let before = await loop.statistics
            loop.completionReactor.prepareRawNop(userData: old.userData)
            // The same stale ID as a linked timeout's completion, and a generation the
            // slot has not reached yet: all three are stale.
            loop.completionReactor.prepareRawNop(userData: old.userData | OperationID.linkedTimeoutBit)
            loop.completionReactor.prepareRawNop(
                userData: OperationID(index: current.index, generation: current.generation + 1).userData)
            try await loop.nop()
            for _ in 0..<10 { await Task.yield() }
            let after = await loop.statistics
            #expect(after.staleCompletions == before.staleCompletions + 3)
            #expect(after.operationSlotsInUse == 1)
            #expect(loop.slots.slot(for: current) != nil)

            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }

    @Test func completionForASlotOutOfRangeIsStale() async throws {
        try await withTestLoop(.ioUring) { loop in
            let before = await loop.statistics
            let outOfRange = OperationID(index: UInt32(loop.slots.capacity + 5), generation: 1)
            loop.completionReactor.prepareRawNop(userData: outOfRange.userData)
            try await loop.nop()
            #expect(await loop.statistics.staleCompletions == before.staleCompletions + 1)
        }
    }

    @Test func cancelledOperationsCompletionsNeverCountAsStale() async throws {
        // Cancellation waits for the operation's own CQE before freeing the slot, so no
        // CQE can arrive for a freed slot: no stale completion in normal operation.
        try await withTestLoop(.ioUring) { loop in
            let pair = try await ConnectedPair.make()
            for _ in 0..<50 {
                let reader = Task(executorPreference: loop) {
                    try await pair.client.read(upTo: 8, timeout: .seconds(60))
                }
                let sleeper = Task(executorPreference: loop) { try await loop.sleep(for: .seconds(60)) }
                await Task.yield()
                reader.cancel()
                sleeper.cancel()
                _ = try? await reader.value
                _ = try? await sleeper.value
            }
            let statistics = await loop.statistics
            #expect(statistics.staleCompletions == 0)
            try await pair.close()
        }
    }
}

/// The slot table and IDs on their own, without a loop.
struct OperationSlotTests {
    @Test func releasingASlotAdvancesItsGeneration() {
        var slots = OperationSlots(initialCapacity: 4)
        let first = slots.allocate()
        #expect(first.generation == 1)
        #expect(slots.inUse == 1)
        #expect(slots.slot(for: first) != nil)
        slots.release(first.index)
        #expect(slots.inUse == 0)
        #expect(slots.slot(for: first) == nil, "a released slot must not answer to its old ID")
        let second = slots.allocate()
        #expect(second.index == first.index)
        #expect(second.generation == 2)
        #expect(slots.slot(for: first) == nil)
        #expect(slots.slot(for: second) != nil)
        slots.release(second.index)
    }

    @Test func generationWrapsToOneNeverZero() {
        var slots = OperationSlots(initialCapacity: 1)
        let id = slots.allocate()
        slots[id.index].pointee.generation = OperationID.maxGeneration
        slots.release(id.index)
        let next = slots.allocate()
        #expect(next.index == id.index)
        #expect(next.generation == 1)
        #expect(next.userData != OperationID.ignoredUserData)
        #expect(next.userData != OperationID.wakeUserData)
        slots.release(next.index)
    }

    @Test func theTableGrowsWithoutMovingSlots() {
        var slots = OperationSlots(initialCapacity: 1)
        let capacity = slots.capacity
        var ids = (0..<capacity).map { _ in slots.allocate() }
        let firstSlot = slots[ids[0].index]
        ids.append(slots.allocate())  // grows by a chunk
        #expect(slots.capacity == capacity * 2)
        #expect(slots[ids[0].index] == firstSlot)
        #expect(Set(ids.map(\.index)).count == ids.count)
        var inUse: [OperationID] = []
        slots.forEachInUse { inUse.append($0) }
        #expect(Set(inUse) == Set(ids))
        for id in ids { slots.release(id.index) }
        #expect(slots.inUse == 0)
    }

    @Test(arguments: [(UInt32(0), UInt32(1)), (7, 2), (UInt32.max, OperationID.maxGeneration)])
    func userDataRoundTrips(_ index: UInt32, _ generation: UInt32) {
        let id = OperationID(index: index, generation: generation)
        #expect(OperationID(userData: id.userData) == id)
        // The linked-timeout bit names the same operation.
        #expect(OperationID(userData: id.userData | OperationID.linkedTimeoutBit) == id)
        #expect(id.userData & OperationID.linkedTimeoutBit == 0)
    }
}

extension EventLoop {
    /// The io_uring reactor of an io_uring loop (for injecting raw completions).
    var completionReactor: CompletionReactor {
        guard case .completion(let reactor) = reactor else { preconditionFailure("not an io_uring loop") }
        return reactor
    }
}
