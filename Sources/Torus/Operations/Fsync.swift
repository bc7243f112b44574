import CLiburing
import Glibc

/// Flushes a file's data and metadata to its device.
struct Fsync: IOOperation {
    var fd: Int32

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_fsync(sqe, fd, 0)
    }

    var selectorPlan: SelectorPlan { .blocking(.fsync(fd: fd)) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("blocking operations run on the pool, not the loop")
    }
}
