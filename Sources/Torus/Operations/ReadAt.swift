import CLiburing
import Glibc

/// Reads from a file at an offset.
struct ReadAt: IOOperation {
    var fd: Int32
    var buffer: UnsafeMutableRawBufferPointer
    var offset: UInt64
    /// Submitted without waiting for the loop turn's batch (a file opened O_DIRECT).
    var submitsAtOnce = false

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_read(sqe, fd, buffer.baseAddress, UInt32(clamping: buffer.count), offset)
    }

    var selectorPlan: SelectorPlan { .blocking(.pread(fd: fd, buffer: buffer, offset: offset)) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("blocking operations run on the pool, not the loop")
    }
}
