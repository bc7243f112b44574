import CLiburing
import Glibc

/// A no-op round trip through the reactor: measures the runtime's own overhead.
struct Nop: IOOperation {
    static var opcode: io_uring_op { IORING_OP_NOP }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_nop(sqe)
    }

    var selectorPlan: SelectorPlan { .immediate }

    func attempt(_ state: inout AttemptState) -> Int32 {
        0
    }
}
