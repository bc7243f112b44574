/// A connection's read buffer: bytes read but not yet used are `memory[start..<end]`.
/// Starts small and grows (up to a limit) only when one head does not fit; reused for
/// every request, so reading allocates nothing in steady state.
struct ReceiveBuffer: ~Copyable {
    private var memory: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    /// A buffer of `capacity` bytes.
    init(capacity: Int) {
        memory = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { memory.deallocate() }

    /// The bytes read and not yet consumed.
    var unread: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: memory[start..<end]) }

    /// Marks the first `count` unread bytes used.
    mutating func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Room to read into after the unread bytes: moves them to the front, or grows the
    /// buffer (never past `maxCapacity`) when the unread bytes fill it; nil when they
    /// fill `maxCapacity` already.
    mutating func spaceToRead(maxCapacity: Int) -> UnsafeMutableRawBufferPointer? {
        if end == memory.count {
            if start > 0 {
                memory.baseAddress!.copyMemory(from: memory.baseAddress! + start, byteCount: end - start)
                end -= start
                start = 0
            } else {
                guard memory.count < maxCapacity else { return nil }
                let grown = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: min(memory.count * 2, maxCapacity), alignment: 16)
                grown.baseAddress!.copyMemory(from: memory.baseAddress!, byteCount: end)
                memory.deallocate()
                memory = grown
            }
        }
        return UnsafeMutableRawBufferPointer(rebasing: memory[end...])
    }

    /// Records `count` bytes read into the space ``spaceToRead(maxCapacity:)`` gave.
    mutating func didRead(_ count: Int) { end += count }
}
