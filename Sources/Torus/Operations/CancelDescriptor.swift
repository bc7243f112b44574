import CLiburing
import Glibc

/// Cancels every operation in flight on a descriptor (before it is closed).
struct CancelDescriptor: IOOperation {
    var fd: Int32

    static var opcode: io_uring_op { IORING_OP_ASYNC_CANCEL }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_cancel_fd(sqe, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
    }

    var selectorPlan: SelectorPlan { .immediate }

    func attempt(_ state: inout AttemptState) -> Int32 {
        // The selector reactor cancels its waiters on `fd` itself
        // (SelectorReactor.cancelOperations(on:loop:)) and never submits this.
        0
    }
}
