import Testing

@testable import Torus

/// The slot's hot fields (what every operation writes and every completion reads) stay
/// in its first cache line, where they were before its state became an enum: a field
/// that slides past byte 64 costs a cache miss per operation.
@Suite(.descriptorGate) struct OperationSlotLayoutTests {
    @Test func hotFieldsShareTheFirstCacheLine() {
        #expect(MemoryLayout<OperationSlot.Waiting>.size == 2, "a state byte and a completion count")
        #expect(MemoryLayout<OperationSlot>.offset(of: \.waiting) == 4)
        #expect(MemoryLayout<OperationSlot>.offset(of: \.result) == 12)
        #expect(MemoryLayout<OperationSlot>.offset(of: \.continuation) == 24)
        #expect(MemoryLayout<OperationSlot>.offset(of: \.sink) == 32)
        #expect(MemoryLayout<OperationSlot>.offset(of: \.sinkOperation) == 48)
    }

    @Test func aKernelWaiterCountsDownItsCompletions() async throws {
        try await withTestLoop(.ioUring) { loop in
            let id = loop.slots.allocate()
            let slot = loop.slots[id.index]
            slot.pointee.waiting = .kernel(completionsLeft: 2)
            loop.finishOne(slot, id: id)
            #expect(slot.pointee.waiting == .kernel(completionsLeft: 1), "one of two CQEs: still waiting")
            #expect(loop.slots.slot(for: id) != nil)
            loop.finishOne(slot, id: id)
            #expect(loop.slots.slot(for: id) == nil, "the last CQE frees the slot")
        }
    }
}
