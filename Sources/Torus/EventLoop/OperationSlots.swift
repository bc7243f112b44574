import CLiburing

/// The loop's table of ``OperationSlot``s, addressed by ``OperationID``.
///
/// Slots live in fixed-size chunks that never move, so a pointer to a slot (handed to
/// the kernel for a timespec or socket address) stays valid while the table grows.
/// Confined to the loop thread.
struct OperationSlots: ~Copyable {
    private static let chunkShift: UInt32 = 10
    private static let chunkSize = 1 << chunkShift
    private var chunks: [UnsafeMutablePointer<OperationSlot>] = []
    private var free: [UInt32] = []
    /// Slots currently allocated.
    private(set) var inUse = 0

    init(initialCapacity: Int) {
        let chunkCount = max(1, (initialCapacity + Self.chunkSize - 1) / Self.chunkSize)
        for _ in 0..<chunkCount { addChunk() }
    }

    deinit {
        for chunk in chunks {
            chunk.deinitialize(count: Self.chunkSize)
            chunk.deallocate()
        }
    }

    var capacity: Int { chunks.count * Self.chunkSize }

    private mutating func addChunk() {
        let chunk = UnsafeMutablePointer<OperationSlot>.allocate(capacity: Self.chunkSize)
        chunk.initialize(repeating: OperationSlot(), count: Self.chunkSize)
        let base = UInt32(chunks.count * Self.chunkSize)
        chunks.append(chunk)
        free.reserveCapacity(capacity)
        // Pushed in reverse so low indices are handed out first.
        for offset in (0..<UInt32(Self.chunkSize)).reversed() { free.append(base + offset) }
    }

    /// Takes a free slot, growing the table by a chunk when all are in use.
    mutating func allocate() -> OperationID {
        if free.isEmpty { addChunk() }
        let index = free.removeLast()
        let slot = self[index]
        slot.pointee.waiting = .starting
        inUse += 1
        return OperationID(index: index, generation: slot.pointee.generation)
    }

    /// Takes a free slot for an operation whose results go to `sink` (``OperationSlot/Waiting/sink``).
    @inline(__always)
    mutating func allocate(for sink: any ResultSink) -> OperationID {
        let id = allocate()
        let slot = self[id.index]
        slot.pointee.waiting = .sink
        slot.pointee.sink = sink
        return id
    }

    /// Returns a slot; its generation advances so completions naming the old one are stale.
    @inline(__always)
    mutating func release(_ index: UInt32) {
        let slot = self[index]
        let generation = slot.pointee.generation
        slot.pointee.resetForReuse()
        slot.pointee.generation = generation == OperationID.maxGeneration ? 1 : generation + 1
        free.append(index)
        inUse -= 1
    }

    subscript(index: UInt32) -> UnsafeMutablePointer<OperationSlot> {
        chunks[Int(index >> Self.chunkShift)] + Int(index & UInt32(Self.chunkSize - 1))
    }

    /// The slot an ID names, or nil when the ID is stale or out of range.
    func slot(for id: OperationID) -> UnsafeMutablePointer<OperationSlot>? {
        guard Int(id.index) < capacity else { return nil }
        let slot = self[id.index]
        guard slot.pointee.generation == id.generation, slot.pointee.waiting != .free else { return nil }
        return slot
    }

    /// Calls `body` with the ID of every slot in use.
    func forEachInUse(_ body: (OperationID) -> Void) {
        for chunkIndex in chunks.indices {
            for offset in 0..<Self.chunkSize where chunks[chunkIndex][offset].waiting != .free {
                let index = UInt32(chunkIndex * Self.chunkSize + offset)
                body(OperationID(index: index, generation: chunks[chunkIndex][offset].generation))
            }
        }
    }
}
