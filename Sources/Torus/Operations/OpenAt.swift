import CLiburing
import Glibc

/// Opens a path relative to the working directory. The kernel copies `path` at
/// submission; the caller keeps it alive until completion.
struct OpenAt: BlockingOperation {
    var path: UnsafePointer<CChar>
    var flags: Int32
    var mode: mode_t

    static var opcode: io_uring_op { IORING_OP_OPENAT }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_openat(sqe, AT_FDCWD, path, flags, mode)
    }

    var blockingCall: OpenAtCall { OpenAtCall(path: path, flags: flags, mode: mode) }
}

/// `openat(2)` relative to the working directory, on the selector's pool.
struct OpenAtCall: BlockingCall, @unchecked Sendable {
    // @unchecked Sendable: `path` belongs to the caller, which waits for the result.
    var path: UnsafePointer<CChar>
    var flags: Int32
    var mode: mode_t

    func perform() -> Int32 { .syscallResult(Int(openat(AT_FDCWD, path, flags, mode))) }
}
