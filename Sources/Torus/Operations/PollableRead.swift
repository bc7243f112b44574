import CLiburing
import Glibc

/// Reads up to `buffer.count` bytes from a descriptor that epoll can wait on but that is
/// not a socket (a signalfd): `read(2)` where ``Receive`` uses `recv(2)`, at no offset.
struct PollableRead: IOOperation {
    var fd: Int32
    var buffer: UnsafeMutableRawBufferPointer

    static var opcode: io_uring_op { IORING_OP_READ }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        // Offset -1: the file position, which a stream-like descriptor does not have.
        io_uring_prep_read(sqe, fd, buffer.baseAddress, UInt32(clamping: buffer.count), UInt64.max)
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .readable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        .syscallResult(read(fd, buffer.baseAddress, buffer.count))
    }
}
