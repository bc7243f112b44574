import CLiburing
import Glibc

/// Reads a file's metadata into `buffer`, which the caller keeps alive until completion.
struct Statx: BlockingOperation {
    var fd: Int32
    var buffer: UnsafeMutablePointer<statx>

    static var opcode: io_uring_op { IORING_OP_STATX }

    /// The empty path AT_EMPTY_PATH wants, in static storage: the kernel reads it at
    /// submission, after a temporary C string would be gone.
    private static var emptyPath: UnsafePointer<CChar> {
        UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
    }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_statx(sqe, fd, Self.emptyPath, TORUS_AT_EMPTY_PATH, STATX_BASIC_STATS, buffer)
    }

    var blockingCall: StatxCall { StatxCall(fd: fd, buffer: buffer) }
}

/// `statx(2)` with an empty path on the selector's pool.
struct StatxCall: BlockingCall, @unchecked Sendable {
    // @unchecked Sendable: `buffer` belongs to the caller, which waits for the result.
    var fd: Int32
    var buffer: UnsafeMutablePointer<statx>

    func perform() -> Int32 { .syscallResult(Int(torus_statx(fd, buffer))) }
}
