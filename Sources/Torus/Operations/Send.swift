import CLiburing
import Glibc

/// Sends bytes on a socket; MSG_NOSIGNAL turns a closed peer into EPIPE, never SIGPIPE.
struct Send: IOOperation {
    var fd: Int32
    var bytes: UnsafeRawBufferPointer

    static var opcode: io_uring_op { IORING_OP_SEND }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_send(sqe, fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .writable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        .syscallResult(send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)))
    }
}
