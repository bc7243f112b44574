import CLiburing
import Glibc

/// Flushes a file's data and metadata to its device.
struct Fsync: BlockingOperation {
    var fd: Int32

    static var opcode: io_uring_op { IORING_OP_FSYNC }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_fsync(sqe, fd, 0)
    }

    var blockingCall: FsyncCall { FsyncCall(fd: fd) }
}

/// `fsync(2)` on the selector's pool.
struct FsyncCall: BlockingCall {
    var fd: Int32

    func perform() -> Int32 { .syscallResult(Int(fsync(fd))) }
}
