import CLiburing
import Glibc

/// Reads a file at an offset (``ReadAt``) or writes it (``WriteAt``): one operation in
/// two directions, told apart by `Direction`.
struct PositionalIO<Direction: TransferDirection>: BlockingOperation {
    var fd: Int32
    /// Where a read puts the bytes, or the bytes a write takes.
    var buffer: UnsafeMutableRawBufferPointer
    var offset: UInt64
    /// Submitted without waiting for the loop turn's batch (a file opened O_DIRECT).
    var submitsAtOnce = false

    static var opcode: io_uring_op { Direction.opcode }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_rw(
            Int32(Self.opcode.rawValue), sqe, fd, buffer.baseAddress, UInt32(clamping: buffer.count), offset)
    }

    var blockingCall: PositionalCall<Direction> {
        PositionalCall(fd: fd, count: UInt32(clamping: buffer.count), buffer: buffer.baseAddress, offset: offset)
    }
}

/// `pread(2)` or `pwrite(2)` on the selector's pool: three words. The count is clamped to
/// 32 bits, as the SQE's is: Linux moves at most 0x7ffff000 bytes per call anyway, and
/// callers go on after short transfers.
struct PositionalCall<Direction: TransferDirection>: BlockingCall, @unchecked Sendable {
    // @unchecked Sendable: `buffer` belongs to the caller, which waits for the result.
    var fd: Int32
    var count: UInt32
    var buffer: UnsafeMutableRawPointer?
    var offset: UInt64

    func perform() -> Int32 { .syscallResult(Direction.transfer(fd, buffer, Int(count), off_t(offset))) }
}

/// Which way a ``PositionalIO`` moves bytes: its io_uring opcode (read and write SQEs
/// are otherwise alike) and its blocking call.
protocol TransferDirection {
    static var opcode: io_uring_op { get }
    static func transfer(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int
}

/// File to memory.
enum Reading: TransferDirection {
    static var opcode: io_uring_op { IORING_OP_READ }
    static func transfer(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int {
        pread(fd, buffer, count, offset)
    }
}

/// Memory to file.
enum Writing: TransferDirection {
    static var opcode: io_uring_op { IORING_OP_WRITE }
    static func transfer(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int {
        pwrite(fd, buffer, count, offset)
    }
}

/// Reads from a file at an offset.
typealias ReadAt = PositionalIO<Reading>
/// Writes to a file at an offset (the buffer is only read).
typealias WriteAt = PositionalIO<Writing>
