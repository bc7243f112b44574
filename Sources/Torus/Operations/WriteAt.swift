import CLiburing
import Glibc

/// Writes to a file at an offset.
struct WriteAt: BlockingOperation {
    var fd: Int32
    var bytes: UnsafeRawBufferPointer
    var offset: UInt64
    /// Submitted without waiting for the loop turn's batch (a file opened O_DIRECT).
    var submitsAtOnce = false

    static var opcode: io_uring_op { IORING_OP_WRITE }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_write(sqe, fd, bytes.baseAddress, UInt32(clamping: bytes.count), offset)
    }

    var blockingCall: PositionalWrite {
        PositionalWrite(fd: fd, count: UInt32(clamping: bytes.count), bytes: bytes.baseAddress, offset: offset)
    }
}

/// `pwrite(2)` on the selector's pool.
struct PositionalWrite: BlockingCall, @unchecked Sendable {
    // @unchecked Sendable: `bytes` belong to the caller, which waits for the result.
    var fd: Int32
    var count: UInt32
    var bytes: UnsafeRawPointer?
    var offset: UInt64

    func perform() -> Int32 { .syscallResult(pwrite(fd, bytes, Int(count), off_t(offset))) }
}
