import CLiburing
import Glibc

/// The loop's receive buffers, lent by ``TCPConnection/receive(timeout:_:)`` only while
/// received bytes are handed to the caller, so an idle connection holds none; served
/// connections also copy the bytes they send into them.
///
/// io_uring: the free buffers sit in a provided-buffer ring registered with the kernel
/// (IORING_REGISTER_PBUF_RING, Linux 5.19); a receive submitted with IOSQE_BUFFER_SELECT
/// takes one only when data arrives, and its CQE names it. Without kernel support the
/// free buffers are a stack instead, and a receive holds one while it waits. epoll: the
/// free buffers are a stack; a receive waits for readability, then reads into the top
/// one. Memory is mapped once, on first use; pages the kernel never wrote cost no RSS.
/// Confined to the loop thread, so accesses to its state never overlap (no runtime
/// exclusivity checks).
final class ReceiveBufferPool {
    /// Bytes per buffer: the most one receive returns.
    let bufferSize: Int
    /// Buffers in the pool (a power of two, for the kernel ring).
    let count: Int
    private let memory: UnsafeMutableRawPointer
    /// io_uring: the registered provided-buffer ring; nil on epoll, or when the kernel
    /// has no buffer rings.
    private let kernelRing: UnsafeMutablePointer<io_uring_buf_ring>?
    /// The kernel ring's size: one descriptor per buffer.
    private var kernelRingBytes: Int { Self.ringBytes(count: count) }
    /// The io_uring reactor (nil on epoll); the kernel ring, if any, is registered with it.
    private let reactor: CompletionReactor?
    /// The free buffers' IDs when there is no kernel ring (the top is lent next).
    @exclusivity(unchecked) private var free: [UInt16] = []
    /// Buffers lent now, spares included.
    @exclusivity(unchecked) private(set) var lent = 0
    /// Receives that found every buffer lent and read into a spare buffer instead.
    @exclusivity(unchecked) private(set) var shortages: UInt64 = 0
    /// Spare buffers, made when the pool ran dry and kept for the next shortage: the
    /// pool grows to the most receives ever in flight at once, then allocates no more.
    @exclusivity(unchecked) private var spares: [UnsafeMutableRawBufferPointer] = []
    /// Selector reactor: the buffer the last ``receive(on:)`` filled and lent, until
    /// ``takeFilled(result:flags:)`` hands it over (right after, with no suspension
    /// between).
    @exclusivity(unchecked) private var filled: LentBuffer?

    /// The buffer group ID receives select from.
    static let group: UInt16 = 0

    /// Maps `count` buffers of `bufferSize` bytes and, on io_uring, registers them with
    /// the kernel as a provided-buffer ring (falling back to a stack when it refuses, or
    /// when `kernelSelects` is false: tests take the fallback path that way).
    init(bufferSize: Int, count: Int, reactor: CompletionReactor?, kernelSelects: Bool = true) throws(TorusError) {
        assert(count > 0 && count & (count - 1) == 0, "validated by EventLoop.Configuration.validate()")
        self.bufferSize = bufferSize
        self.count = count
        self.reactor = reactor
        guard let memory = Self.map(bufferSize * count) else { throw TorusError(.read, .system(.last)) }
        self.memory = memory
        kernelRing =
            kernelSelects ? reactor.flatMap { Self.registerRing(count: count, reactor: $0) } : nil
        if let kernelRing {
            for id in 0..<count { provide(UInt16(id), to: kernelRing) }
        } else {
            free = (0..<count).reversed().map { UInt16($0) }
        }
    }

    /// Takes the buffer ring back from the kernel. The loop thread calls it as it exits:
    /// a SINGLE_ISSUER ring accepts the call only from that thread, and afterwards the
    /// ring's memory may be unmapped whenever the pool goes, whatever the order in which
    /// the loop's fields are released.
    func unregister() {
        guard let reactor, kernelRing != nil else { return }
        let result = reactor.unregisterBufferRing(group: Self.group)
        assert(result == 0, "unregistering the buffer ring failed: \(result)")
    }

    deinit {
        // The loop has exited and unregistered the ring: no receive is in flight, so the
        // kernel writes nowhere.
        munmap(memory, bufferSize * count)
        if let kernelRing { munmap(kernelRing, kernelRingBytes) }
        for spare in spares { spare.deallocate() }
    }

    /// How a receive gets its buffer here: the one decision for both the task API
    /// (``TCPConnection/receive(timeout:_:)``) and served connections. `afterShortage`:
    /// io_uring's ring ran dry (ENOBUFS), so the next receive reads into a lent spare.
    func plan(afterShortage: Bool = false) -> ReceivePlan {
        if kernelRing != nil { return afterShortage ? .lendFirst : .kernelSelects }
        return reactor == nil ? .readWhenReady : .lendFirst
    }

    /// Whether the kernel refused a multishot receive (before Linux 6.0): served
    /// connections then receive one operation at a time.
    var multishotRefused = false

    /// Selector reactor: receives from `fd` into the top free buffer (or a spare when
    /// every buffer is lent) and, when bytes arrived, lends that buffer at once, for
    /// ``takeFilled(result:flags:)`` to hand over. Reading and lending in one call, so a
    /// receive that finds nothing to read holds no buffer, even when the pool is dry.
    func receive(on fd: Int32) -> Int32 {
        assert(filled == nil, "a filled buffer was not taken before the next receive")
        let target: UnsafeMutableRawBufferPointer
        if let id = free.last {
            target = buffer(id)
        } else {
            if spares.isEmpty { spares.append(.allocate(byteCount: bufferSize, alignment: 16)) }
            target = spares[spares.count - 1]
        }
        let result = Int32.syscallResult(recv(fd, target.baseAddress, target.count, Int32(MSG_DONTWAIT)))
        if result > 0 { filled = lend(for: .receiving) }
        return result
    }

    /// Takes the buffer a pooled receive (``PooledReceive``) filled, if any: the one the
    /// CQE names (`IORING_CQE_F_BUFFER`: the kernel took it from the ring, so it is lent
    /// whatever the result), or on epoll the one ``receive(on:)`` lent. The caller gives
    /// it back.
    func takeFilled(result: Int32, flags: UInt32) -> LentBuffer? {
        if flags & IORING_CQE_F_BUFFER != 0 {
            lent += 1
            let id = UInt16(truncatingIfNeeded: flags >> 16)
            return LentBuffer(bytes: buffer(id), id: id)
        }
        defer { filled = nil }
        return filled
    }

    /// Why a buffer is lent: the pool counts a shortage only for receives.
    enum Purpose {
        /// A receive into a buffer lent first (``ReceivePlan/lendFirst``), or the
        /// selector's read.
        case receiving
        /// Bytes a served connection queues to send (``TCPConnection/send(_:)``): on
        /// io_uring the kernel ring's buffers are for receives only, so a spare.
        case sending
    }

    /// Lends the top free buffer where the free buffers are a stack, else a spare one
    /// (made now if none is kept; a shortage when `purpose` is receiving).
    func lend(for purpose: Purpose) -> LentBuffer {
        lent += 1
        if let id = free.popLast() { return LentBuffer(bytes: buffer(id), id: id) }
        if purpose == .receiving { shortages &+= 1 }
        return LentBuffer(bytes: spares.popLast() ?? .allocate(byteCount: bufferSize, alignment: 16), id: nil)
    }

    /// Takes back a lent buffer: to the kernel ring or the stack; a spare one to the
    /// spares, for the next shortage.
    func giveBack(_ buffer: LentBuffer) {
        lent -= 1
        guard let id = buffer.id else {
            spares.append(buffer.bytes)
            return
        }
        if let kernelRing {
            provide(id, to: kernelRing)
        } else {
            free.append(id)
        }
    }

    private func buffer(_ id: UInt16) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory + Int(id) * bufferSize, count: bufferSize)
    }

    private func provide(_ id: UInt16, to ring: UnsafeMutablePointer<io_uring_buf_ring>) {
        torus_buffer_ring_provide(ring, memory + Int(id) * bufferSize, UInt32(bufferSize), id, UInt32(count))
    }

    /// Anonymous private memory: zero pages until written, so idle buffers cost no RSS.
    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return address == MAP_FAILED ? nil : address
    }

    /// Maps and registers a provided-buffer ring, or returns nil when the kernel refuses
    /// (before Linux 5.19: EINVAL), so the pool falls back to lending from a stack.
    private static func registerRing(
        count: Int, reactor: CompletionReactor
    ) -> UnsafeMutablePointer<io_uring_buf_ring>? {
        let bytes = ringBytes(count: count)
        guard let address = map(bytes) else { return nil }
        let ring = address.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        if reactor.registerBufferRing(ring, entries: UInt32(count), group: group) != 0 {
            munmap(address, bytes)
            return nil
        }
        return ring
    }

    /// The bytes of a provided-buffer ring of `count` descriptors.
    private static func ringBytes(count: Int) -> Int { count * MemoryLayout<io_uring_buf>.stride }
}
