import CLiburing
import Glibc

/// Reads from a file at an offset.
struct ReadAt: BlockingOperation {
    var fd: Int32
    var buffer: UnsafeMutableRawBufferPointer
    var offset: UInt64
    /// Submitted without waiting for the loop turn's batch (a file opened O_DIRECT).
    var submitsAtOnce = false

    static var opcode: io_uring_op { IORING_OP_READ }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_read(sqe, fd, buffer.baseAddress, UInt32(clamping: buffer.count), offset)
    }

    var blockingCall: PositionalRead {
        PositionalRead(fd: fd, count: UInt32(clamping: buffer.count), buffer: buffer.baseAddress, offset: offset)
    }
}

/// `pread(2)` on the selector's pool.
struct PositionalRead: BlockingCall, @unchecked Sendable {
    // @unchecked Sendable: `buffer` belongs to the caller, which waits for the result.
    var fd: Int32
    var count: UInt32
    var buffer: UnsafeMutableRawPointer?
    var offset: UInt64

    func perform() -> Int32 { .syscallResult(pread(fd, buffer, Int(count), off_t(offset))) }
}
