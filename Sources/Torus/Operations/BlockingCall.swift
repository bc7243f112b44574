import CLiburing
import Glibc

/// A blocking system call the selector reactor hands to its thread pool, as a value so
/// queueing it allocates nothing. Pointers stay valid: the caller waits for the result.
enum BlockingCall: @unchecked Sendable {
    // @unchecked Sendable: the pointers are owned by the waiting caller, which does not
    // touch them until the pool thread has posted the result.
    case pread(fd: Int32, buffer: UnsafeMutableRawBufferPointer, offset: UInt64)
    case pwrite(fd: Int32, bytes: UnsafeRawBufferPointer, offset: UInt64)
    case fsync(fd: Int32)
    case statx(fd: Int32, buffer: UnsafeMutablePointer<statx>)
    case openat(path: UnsafePointer<CChar>, flags: Int32, mode: mode_t)

    /// Makes the call on the current (pool) thread; a count or descriptor, or `-errno`.
    func perform() -> Int32 {
        switch self {
        case .pread(let fd, let buffer, let offset):
            .syscallResult(Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)))
        case .pwrite(let fd, let bytes, let offset):
            .syscallResult(Glibc.pwrite(fd, bytes.baseAddress, bytes.count, off_t(offset)))
        case .fsync(let fd):
            .syscallResult(Int(Glibc.fsync(fd)))
        case .statx(let fd, let buffer):
            .syscallResult(Int(torus_statx(fd, buffer)))
        case .openat(let path, let flags, let mode):
            .syscallResult(Int(Glibc.openat(AT_FDCWD, path, flags, mode)))
        }
    }
}
