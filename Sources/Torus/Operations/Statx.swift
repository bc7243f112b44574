import CLiburing
import Glibc

/// Reads a file's metadata into `buffer`, which the caller keeps alive until completion.
struct Statx: IOOperation {
    var fd: Int32
    var buffer: UnsafeMutablePointer<statx>

    /// The empty path AT_EMPTY_PATH wants, in static storage: the kernel reads it at
    /// submission, after a temporary C string would be gone.
    private static var emptyPath: UnsafePointer<CChar> {
        UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
    }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_statx(sqe, fd, Self.emptyPath, TORUS_AT_EMPTY_PATH, STATX_BASIC_STATS, buffer)
    }

    var selectorPlan: SelectorPlan { .blocking(.statx(fd: fd, buffer: buffer)) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("blocking operations run on the pool, not the loop")
    }
}
