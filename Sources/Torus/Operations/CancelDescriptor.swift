import CLiburing
import Glibc

/// Cancels every operation in flight on a descriptor (before it is closed).
struct CancelDescriptor: IOOperation {
    var fd: Int32

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_cancel_fd(sqe, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
    }

    var selectorPlan: SelectorPlan { .immediate }

    func attempt(_ state: inout AttemptState) -> Int32 {
        // The selector cancels its waiters on `fd` itself (EventLoop.cancelOperations(on:)).
        0
    }
}
