import CLiburing
import SystemPackage

/// One io_uring: setup with the fastest flags the kernel accepts, SQE hand-out that
/// never drops an operation, batched submission and batched CQE reaping.
///
/// Confined to its loop's thread (`IORING_SETUP_SINGLE_ISSUER` demands it).
struct Ring: ~Copyable {
    private let ring: UnsafeMutablePointer<io_uring>
    /// What the kernel says this ring can do (`IORING_FEAT_*`).
    let features: UInt32
    /// `io_uring_enter` calls made (submit, wait, or both).
    private(set) var enterCalls: UInt64 = 0
    /// SQEs the kernel consumed.
    private(set) var submitted: UInt64 = 0

    /// The flag sets tried in order: the first the kernel accepts wins.
    /// DEFER_TASKRUN runs completion work only when this thread enters the kernel, which
    /// keeps completions off other CPUs; SINGLE_ISSUER lets the kernel skip locking.
    static let preferredFlagSets: [UInt32] = [
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    ]

    /// Sets up a disabled ring with `entries` SQEs and `completionEntries` CQEs, falling
    /// back flag by flag on EINVAL. The thread that calls ``enable()`` owns it.
    init(entries: UInt32, completionEntries: UInt32) throws(Errno) {
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        var lastError = Errno.invalidArgument
        for flags in Self.preferredFlagSets {
            var params = io_uring_params()
            // Created disabled: the loop thread enables it and so becomes its single issuer.
            params.flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_R_DISABLED
            params.cq_entries = completionEntries
            let result = io_uring_queue_init_params(entries, ring, &params)
            if result == 0 {
                self.ring = ring
                self.features = params.features
                return
            }
            lastError = Errno(rawValue: -result)
            if result != -EINVAL { break }
        }
        ring.deallocate()
        throw lastError
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// Enables the ring; the calling thread becomes its only submitter.
    func enable() throws(Errno) {
        let result = torus_enable_rings(ring)
        if result < 0 { throw Errno(rawValue: -result) }
    }

    /// A free SQE, submitting what is queued first when the SQ is full: an operation is
    /// never dropped.
    mutating func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        flush()
        guard let sqe = io_uring_get_sqe(ring) else { fatalError("io_uring SQ still full after submitting") }
        return sqe
    }

    /// Makes room for `count` consecutive SQEs (a linked pair must not be split by a
    /// submission between them).
    mutating func reserve(_ count: UInt32) {
        if io_uring_sq_space_left(ring) < count { flush() }
    }

    /// Hands queued SQEs to the kernel without waiting; retries on EINTR and when the
    /// kernel is busy flushing completions.
    mutating func flush() {
        while io_uring_sq_ready(ring) > 0 {
            let result = enter { io_uring_submit($0) }
            if result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY {
                fatalError("io_uring_submit failed: \(Errno(rawValue: -result))")
            }
        }
    }

    /// Submits what is queued and runs deferred completion work without blocking.
    mutating func submitAndPoll() {
        _ = enter { io_uring_submit_and_get_events($0) }
    }

    /// Submits what is queued and blocks until at least one CQE is ready.
    mutating func submitAndWait() {
        _ = enter { io_uring_submit_and_wait($0, 1) }
    }

    /// Whether a wait can carry its own timeout (`IORING_FEAT_EXT_ARG`, Linux 5.11), so
    /// ``submitAndWait(nanoseconds:)`` needs no SQE. The probe requires it.
    var hasWaitTimeout: Bool { features & IORING_FEAT_EXT_ARG != 0 }

    /// Submits what is queued and blocks until at least one CQE is ready or `nanoseconds`
    /// have passed, in one `io_uring_enter` whose timeout travels in its
    /// `io_uring_getevents_arg` (liburing 2.3 does this, and consumes no SQE, when the
    /// ring has `IORING_FEAT_EXT_ARG`; without it liburing would queue a timeout SQE).
    mutating func submitAndWait(nanoseconds: UInt64) {
        var timeout = __kernel_timespec(
            tv_sec: Int64(nanoseconds / 1_000_000_000), tv_nsec: Int64(nanoseconds % 1_000_000_000))
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        let queued = io_uring_sq_ready(ring)
        enterCalls &+= 1
        _ = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &timeout, nil)
        // It returns no count of SQEs submitted: the SQ ring's head tells what the kernel took.
        submitted &+= UInt64(queued &- io_uring_sq_ready(ring))
    }

    private mutating func enter(_ call: (UnsafeMutablePointer<io_uring>) -> Int32) -> Int32 {
        enterCalls &+= 1
        let result = call(ring)
        if result > 0 { submitted &+= UInt64(result) }
        return result
    }

    /// Copies up to `max` ready CQEs into `into` and advances the CQ; returns the count.
    func reap(into cqes: UnsafeMutablePointer<torus_cqe>, max: UInt32) -> Int {
        Int(torus_reap_cqes(ring, cqes, max))
    }

    /// Registers a provided-buffer ring of `entries` descriptors at `buffers` as buffer
    /// group `group`; returns 0 or -errno.
    func registerBufferRing(_ buffers: UnsafeMutablePointer<io_uring_buf_ring>, entries: UInt32, group: UInt16) -> Int32
    {
        torus_register_buffer_ring(ring, buffers, entries, group)
    }

    /// Unregisters provided-buffer ring `group`; returns 0 or -errno.
    func unregisterBufferRing(group: UInt16) -> Int32 {
        torus_unregister_buffer_ring(ring, group)
    }

    /// Whether the kernel supports `opcode` (probed through the ring).
    /// The ring's descriptor: where other rings send `IORING_OP_MSG_RING` messages.
    var descriptor: Int32 { ring.pointee.ring_fd }

    func supports(_ opcode: io_uring_op) -> Bool {
        torus_probe_supports(ring, Int32(opcode.rawValue)) != 0
    }
}
