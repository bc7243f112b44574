import CLiburing
import Glibc

/// Opens a path relative to the working directory. The kernel copies `path` at
/// submission; the caller keeps it alive until completion.
struct OpenAt: IOOperation {
    var path: UnsafePointer<CChar>
    var flags: Int32
    var mode: mode_t

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_openat(sqe, AT_FDCWD, path, flags, mode)
    }

    var selectorPlan: SelectorPlan { .blocking(.openat(path: path, flags: flags, mode: mode)) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("blocking operations run on the pool, not the loop")
    }
}
