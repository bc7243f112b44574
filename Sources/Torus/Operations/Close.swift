import CLiburing
import Glibc

/// Closes a descriptor.
struct Close: IOOperation {
    var fd: Int32

    static var opcode: io_uring_op { IORING_OP_CLOSE }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_close(sqe, fd)
    }

    var selectorPlan: SelectorPlan { .immediate }

    func attempt(_ state: inout AttemptState) -> Int32 {
        .syscallResult(Int(Glibc.close(fd)))
    }
}
