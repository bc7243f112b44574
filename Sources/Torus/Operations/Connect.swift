import CLiburing

/// Connects a socket to an address (copied into the slot, which outlives the call).
struct Connect: IOOperation {
    var fd: Int32
    var address: SocketAddress

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        slot.pointee.addressLength = address.copy(into: &slot.pointee.address)
        withUnsafePointer(to: &slot.pointee.address) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                io_uring_prep_connect(sqe, fd, address, slot.pointee.addressLength)
            }
        }
    }
}
