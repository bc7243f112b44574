import CLiburing
import Glibc

/// Receives up to `buffer.count` bytes from a socket; 0 means the peer closed.
struct Receive: IOOperation {
    var fd: Int32
    var buffer: UnsafeMutableRawBufferPointer

    static var opcode: io_uring_op { IORING_OP_RECV }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_recv(sqe, fd, buffer.baseAddress, buffer.count, 0)
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .readable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        .syscallResult(recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)))
    }

    /// A short read took everything the socket held (a stream socket returns what is
    /// queued up to the buffer's size), as tokio's readiness tracking assumes.
    func drainsReadiness(_ result: Int32) -> Bool { result > 0 && Int(result) < buffer.count }
}
