import CLiburing
import Glibc

/// One kernel operation, described once for both reactors.
///
/// Each conforming type lives in its own file and says all there is to say about it:
/// its io_uring opcode and how it fills an SQE; for the selector reactor, which
/// readiness to wait for and which non-blocking call to try, or, for regular files
/// (which epoll cannot wait on), the blocking call its pool makes
/// (``BlockingOperation``). This is the seam of monoio's `driver/op/*.rs` (`uring_op`,
/// `legacy_interest`, `legacy_call`). Adding an operation is its file plus a line in
/// ``allOperationTypes``, whose opcodes the io_uring probe checks.
protocol IOOperation {
    /// The io_uring opcode ``prepare(_:slot:)`` submits.
    static var opcode: io_uring_op { get }

    /// Completion reactor: fills `sqe` (everything but `user_data`). `slot` is stable
    /// storage for data the kernel reads at submission (a timespec, a socket address).
    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>)

    /// Completion reactor: whether to hand the SQE to the kernel at once rather than
    /// with the loop turn's batch. Device I/O (O_DIRECT) wants it: a batch of SQEs
    /// reaches the device as a burst, and the bursts add up to longer waits per read.
    var submitsAtOnce: Bool { get }

    /// Selector reactor: how the operation runs there.
    var selectorPlan: SelectorPlan { get }

    /// Selector reactor: the non-blocking call, returning a count or descriptor, or
    /// `-errno` (`-EAGAIN`: wait for readiness and try again). `state` persists across
    /// the attempts of one operation.
    func attempt(_ state: inout AttemptState) -> Int32

    /// Selector reactor: whether a successful `result` proves the descriptor drained, so
    /// the next attempt can wait for an edge instead of trying a call that would return
    /// EAGAIN (a short read does; end of stream does not: it stays readable).
    func drainsReadiness(_ result: Int32) -> Bool

    /// Selector reactor, multishot: whether a result of 0 ends the operation (end of
    /// stream for a receive), as it ends an io_uring multishot receive.
    var endsAtZero: Bool { get }
}

extension IOOperation {
    /// Most operations ride the loop turn's batch: one `io_uring_enter` for all.
    var submitsAtOnce: Bool { false }

    /// Most results say nothing about what is left to read.
    func drainsReadiness(_ result: Int32) -> Bool { false }

    /// Most results of 0 are values (a descriptor, a count of nothing).
    var endsAtZero: Bool { false }
}

/// Every operation type the reactors run; the io_uring probe requires their opcodes.
var allOperationTypes: [any IOOperation.Type] {
    [
        Nop.self, MultishotAccept.self, Connect.self, Receive.self, PooledReceive.self, Send.self, Close.self,
        CancelDescriptor.self, OpenAt.self, ReadAt.self, WriteAt.self, Fsync.self, Statx.self, PollableRead.self,
    ]
}

/// How the selector reactor runs an operation.
enum SelectorPlan {
    /// The attempt always completes at once (no descriptor to wait on).
    case immediate
    /// Try now; on EAGAIN wait until `fd` is ready for `interest`, then try again.
    case whenReady(fd: Int32, interest: Interest)
    /// A call that blocks (regular files: epoll cannot wait on them): the loop's
    /// ``BlockingPool`` makes it.
    case onPool(any BlockingCall)

    /// Readiness a waiting operation needs.
    enum Interest {
        case readable, writable
    }
}

/// What an operation remembers between its selector attempts.
struct AttemptState {
    /// The first attempt was made (connect: later attempts read SO_ERROR instead).
    var started = false
}

extension Int32 {
    /// A syscall's return value as a result: itself, or `-errno` on failure.
    @inline(__always)
    static func syscallResult(_ value: Int) -> Int32 {
        value >= 0 ? Int32(truncatingIfNeeded: value) : -Glibc.errno
    }
}
