import DequeModule

/// The bytes a callback connection still has to send, oldest first, each chunk in a
/// buffer lent by the loop's ``ReceiveBufferPool`` (the kernel may read it until the
/// send completes).
///
/// The first chunk is kept inline and later ones spill into a deque, so a connection
/// that sends one reply at a time allocates nothing, and an idle one holds no buffer.
struct OutboundQueue {
    /// A lent buffer and the range of it still to send.
    struct Chunk {
        var buffer: LentBuffer
        var start: Int
        var end: Int
        /// The end of the buffer's bytes in use: received bytes past `end` that the
        /// handler may still be reading are not room to copy into.
        var used: Int

        /// The bytes still to send.
        var remaining: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<end])
        }

        /// Copies what fits of `bytes` after `end`, and drops it from `bytes`.
        mutating func fill(from bytes: inout UnsafeRawBufferPointer) {
            let count = min(bytes.count, buffer.bytes.count - end)
            guard count > 0, end == used else { return }
            UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[end..<end + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<count]))
            end += count
            used = end
            bytes = UnsafeRawBufferPointer(rebasing: bytes[count...])
        }
    }

    private(set) var first: Chunk?
    private var others = Deque<Chunk>()
    /// The bytes queued and not yet sent, what the connection's watermarks compare.
    private(set) var byteCount = 0

    /// Whether nothing is left to send.
    var isEmpty: Bool { first == nil }

    /// Adds a chunk at the end.
    mutating func append(_ chunk: Chunk) {
        byteCount += chunk.end - chunk.start
        if first == nil { first = chunk } else { others.append(chunk) }
    }

    /// Copies `bytes` to the end: into the room left in the last chunk's buffer first
    /// (a send in flight reads only its own range, so small sends coalesce into one),
    /// then into buffers lent by `pool`.
    mutating func appendCopy(of bytes: UnsafeRawBufferPointer, pool: ReceiveBufferPool) {
        var rest = bytes
        if !others.isEmpty {
            others[others.count - 1].fill(from: &rest)
        } else if first != nil {
            first!.fill(from: &rest)
        }
        byteCount += bytes.count - rest.count
        while !rest.isEmpty {
            var chunk = Chunk(buffer: pool.lend(for: .sending), start: 0, end: 0, used: 0)
            chunk.fill(from: &rest)
            append(chunk)
        }
    }

    /// `count` bytes of the first chunk were sent; a chunk sent whole hands its buffer
    /// to `giveBack`.
    mutating func advance(by count: Int, giveBack: (LentBuffer) -> Void) {
        guard var chunk = first else { return }
        byteCount -= count
        chunk.start += count
        if chunk.start < chunk.end {
            first = chunk
            return
        }
        first = others.popFirst()
        giveBack(chunk.buffer)
    }

    /// Drops every chunk (the connection failed or closed), handing each buffer to
    /// `giveBack`, but the first when `keepingFirst` (a send in flight reads it).
    mutating func removeAll(keepingFirst: Bool, giveBack: (LentBuffer) -> Void) {
        while let chunk = others.popLast() { giveBack(chunk.buffer) }
        if !keepingFirst, let chunk = first {
            first = nil
            giveBack(chunk.buffer)
        }
        byteCount = first.map { $0.end - $0.start } ?? 0
    }
}
