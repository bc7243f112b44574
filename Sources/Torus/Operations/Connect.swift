import CLiburing
import Glibc

/// Connects a socket to an address (copied into the slot, which outlives the call).
struct Connect: IOOperation {
    var fd: Int32
    var address: SocketAddress

    static var opcode: io_uring_op { IORING_OP_CONNECT }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        slot.pointee.addressLength = address.copy(into: &slot.pointee.address)
        withUnsafePointer(to: &slot.pointee.address) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                io_uring_prep_connect(sqe, fd, address, slot.pointee.addressLength)
            }
        }
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .writable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        if !state.started {
            state.started = true
            let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
            if result == 0 { return 0 }
            return Glibc.errno == EINPROGRESS ? -EAGAIN : -Glibc.errno
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { return -Glibc.errno }
        return error == 0 ? 0 : -error
    }
}
