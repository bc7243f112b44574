import CLiburing

/// Writes to a file at an offset.
struct WriteAt: IOOperation {
    var fd: Int32
    var bytes: UnsafeRawBufferPointer
    var offset: UInt64

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_write(sqe, fd, bytes.baseAddress, UInt32(clamping: bytes.count), offset)
    }
}
