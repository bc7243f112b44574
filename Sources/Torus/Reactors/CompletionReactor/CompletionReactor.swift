import CLiburing
import SystemPackage

/// The io_uring reactor: "do it, tell me when it is done".
///
/// Operations are prepared straight into the SQ ring, submitted once per loop turn,
/// and their CQEs reaped in batches and routed (CompletionReactor+Dispatch.swift): a
/// task's waiter resumes, a sink gets its result. Confined to the loop thread
/// (`IORING_SETUP_SINGLE_ISSUER`): `@exclusivity(unchecked)` on the ring is safe because
/// no two accesses to it can overlap on one thread.
final class CompletionReactor: Reactor {
    @exclusivity(unchecked) private var ring: Ring
    /// The CQEs of one reap, copied out of the ring.
    private let cqes: UnsafeMutablePointer<torus_cqe>
    private static let reapBatch: UInt32 = 256
    /// The loop's wake eventfd, read by an SQE kept armed (``prepareWakeRead()``).
    private let wakeFD: Int32
    /// Where the kernel writes the eventfd's count.
    private let wakeBuffer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    /// The ring's descriptor, to which other loops send wake-up messages: a `let`, read
    /// from their threads (the `ring` itself is this loop's alone).
    let ringDescriptor: Int32
    /// The opcode of the timeout linked to an operation with a deadline.
    static let linkedTimeoutOpcode = IORING_OP_LINK_TIMEOUT

    init(wakeFD: Int32, configuration: EventLoop.Configuration) throws(Errno) {
        ring = try Ring(
            entries: configuration.submissionQueueEntries,
            completionEntries: configuration.completionQueueEntries)
        cqes = .allocate(capacity: Int(Self.reapBatch))
        ringDescriptor = ring.descriptor
        self.wakeFD = wakeFD
    }

    deinit {
        cqes.deallocate()
        wakeBuffer.deallocate()
    }

    /// Makes the calling (loop) thread the ring's only submitter and arms the wake read.
    func begin(on loop: EventLoop) throws(Errno) {
        try ring.enable()
        prepareWakeRead()
    }

    /// The reactor never has work of its own between turns: the kernel holds it.
    var hasReadyWork: Bool { false }

    /// io_uring sockets need no extra flags.
    var socketTypeFlags: Int32 { 0 }

    /// The kernel keeps no per-descriptor state here: nothing to forget.
    func forget(_ fd: Int32) {}

    /// Nothing to stop: the ring goes with the reactor.
    func end() {}

    func record(into statistics: inout LoopStatistics) {
        statistics.operationsSubmitted = ring.submitted
        statistics.kernelEnters = ring.enterCalls
        statistics.systemCalls = ring.enterCalls
    }

    /// Registers a provided-buffer ring with the kernel (see ``ReceiveBufferPool``);
    /// returns 0 or -errno.
    func registerBufferRing(_ buffers: UnsafeMutablePointer<io_uring_buf_ring>, entries: UInt32, group: UInt16) -> Int32
    {
        ring.registerBufferRing(buffers, entries: entries, group: group)
    }

    /// Unregisters provided-buffer ring `group`; returns 0 or -errno. On the loop thread
    /// only (a SINGLE_ISSUER ring refuses registration changes from other threads).
    func unregisterBufferRing(group: UInt16) -> Int32 {
        ring.unregisterBufferRing(group: group)
    }

    /// Queues `operation` under `id`, followed by a linked timeout when `timeout` is set.
    /// The slot provides storage the kernel reads at submission.
    @inline(__always)
    func prepare<Operation: IOOperation>(
        _ operation: borrowing Operation, id: OperationID,
        slot: UnsafeMutablePointer<OperationSlot>, timeout: Duration?
    ) {
        if timeout != nil { ring.reserve(2) }
        let sqe = ring.nextSubmission()
        operation.prepare(sqe, slot: slot)
        io_uring_sqe_set_data64(sqe, id.userData)
        guard let timeout else { return }
        sqe.pointee.flags |= TORUS_IOSQE_IO_LINK
        slot.pointee.timespec = __kernel_timespec(timeout)
        let timeoutSQE = ring.nextSubmission()
        io_uring_prep_link_timeout(timeoutSQE, &slot.pointee.timespec, 0)
        io_uring_sqe_set_data64(timeoutSQE, id.userData | OperationID.linkedTimeoutBit)
    }

    /// Hands every queued SQE to the kernel now, without waiting for completions.
    func submitQueued() { ring.flush() }

    /// Asks the kernel to cancel the operation submitted under `userData`; the operation
    /// still delivers its own CQE (usually -ECANCELED).
    func prepareCancel(userData: UInt64) {
        let sqe = ring.nextSubmission()
        io_uring_prep_cancel64(sqe, userData, 0)
        io_uring_sqe_set_data64(sqe, OperationID.ignoredUserData)
    }

    /// Queues a raw NOP carrying any `user_data` (tests inject stale completions with it).
    func prepareRawNop(userData: UInt64) {
        let sqe = ring.nextSubmission()
        io_uring_prep_nop(sqe)
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Queues an `IORING_OP_MSG_RING` that posts a wake-up CQE to the ring `target`
    /// (another loop's), sent with this loop's next submission instead of an eventfd
    /// write. Its own CQE is skipped on success; a failure comes back tagged with
    /// `targetNumber` and the target is then woken by eventfd
    /// (``dispatch(_:loop:)``).
    func prepareWakeMessage(toRing target: Int32, targetNumber: UInt32) {
        let sqe = ring.nextSubmission()
        io_uring_prep_msg_ring(sqe, target, 0, OperationID.messageWakeUserData, 0)
        sqe.pointee.flags |= TORUS_IOSQE_CQE_SKIP_SUCCESS
        io_uring_sqe_set_data64(sqe, OperationID.wakeMessageSentBase | UInt64(targetNumber))
    }

    /// Queues the 8-byte read of the loop's wake eventfd (re-armed after each wake).
    func prepareWakeRead() {
        let sqe = ring.nextSubmission()
        io_uring_prep_read(sqe, wakeFD, wakeBuffer, 8, 0)
        io_uring_sqe_set_data64(sqe, OperationID.wakeUserData)
    }

    /// Submits what is queued and enters the kernel, waiting for a completion until
    /// `deadline` (CLOCK_BOOTTIME nanoseconds: one already passed polls, `.max` waits
    /// however long), then routes every ready CQE (``dispatch(_:loop:)``). Returns CQEs
    /// reaped.
    ///
    /// The loop's timers live in its heap; this wait is what makes them fire on time.
    /// Its timeout rides on the wait itself (`IORING_ENTER_EXT_ARG`, relative, computed
    /// here from the CLOCK_BOOTTIME deadline) rather than in one armed absolute
    /// IORING_OP_TIMEOUT: the same single `io_uring_enter` per blocking turn, but no SQE
    /// and no CQE per wake-up, and nothing to re-arm or cancel when the earliest deadline
    /// moves. Reasoned, not measured side by side: a re-armed timeout costs an SQE and a
    /// CQE whenever the next deadline differs from the armed one, which with 100,000
    /// spread sleeps is nearly every turn, and a cancel when it moves earlier. The price
    /// is the relative conversion: a thread preempted between the clock read and the wait
    /// wakes late by that much, as epoll's wait does. The ring must have
    /// `IORING_FEAT_EXT_ARG` (Linux 5.11; the probe checks it, else `.automatic` uses
    /// epoll): without it liburing would queue a timeout SQE per wait.
    @inline(__always)
    func pump(_ loop: EventLoop, until deadline: UInt64) -> Int {
        switch deadline {
        case .max:
            ring.submitAndWait()
        case 0:
            ring.submitAndPoll()
        default:
            let wait = BootClock.nanoseconds(until: deadline)
            if wait > 0 { ring.submitAndWait(nanoseconds: wait) } else { ring.submitAndPoll() }
        }
        var total = 0
        while true {
            let count = ring.reap(into: cqes, max: Self.reapBatch)
            for index in 0..<count { dispatch(cqes[index], loop: loop) }
            total += count
            if count < Self.reapBatch { return total }
        }
    }
}

extension __kernel_timespec {
    /// A relative timespec; negative durations become zero.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) {
            self.init(tv_sec: 0, tv_nsec: 0)
        } else {
            self.init(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
        }
    }
}
