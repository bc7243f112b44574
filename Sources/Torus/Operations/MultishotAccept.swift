import CLiburing
import Glibc

/// Accepts connections until cancelled: one CQE per connection, the last without
/// IORING_CQE_F_MORE. Accepted sockets are close-on-exec.
struct MultishotAccept: IOOperation {
    var fd: Int32

    static var opcode: io_uring_op { IORING_OP_ACCEPT }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_multishot_accept(sqe, fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .readable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        .syscallResult(Int(torus_accept4(fd, Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue))))
    }
}
