import CLiburing
import Glibc

/// Writes to a file at an offset.
struct WriteAt: IOOperation {
    var fd: Int32
    var bytes: UnsafeRawBufferPointer
    var offset: UInt64
    /// Submitted without waiting for the loop turn's batch (a file opened O_DIRECT).
    var submitsAtOnce = false

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_write(sqe, fd, bytes.baseAddress, UInt32(clamping: bytes.count), offset)
    }

    var selectorPlan: SelectorPlan { .blocking(.pwrite(fd: fd, bytes: bytes, offset: offset)) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("blocking operations run on the pool, not the loop")
    }
}
