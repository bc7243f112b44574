import CLiburing
import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, with the hand-over of the lock shown to ThreadSanitizer.
    ///
    /// On Linux, `Mutex` hands a contended lock from one thread to the next inside
    /// `libswiftSynchronization` (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI), which is not built with
    /// the sanitizer, so a `--sanitize=thread` run does not see the lock order and reports
    /// two threads taking turns at the protected state as a race (a correct two-thread
    /// counter under `withLock` is reported; the same counter under this method is not).
    /// This method marks the acquire on entry and the release on exit at the mutex's
    /// address; without the sanitizer the marks are two null checks. Every `Mutex` shared
    /// across threads in this package is taken through it, so `make test-tsan` checks the
    /// state it guards instead of reporting it.
    @inlinable
    package borrowing func withTSanVisibleLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // A borrowed Mutex is never copied (it is ~Copyable and stored in place), so this is
        // its storage: one address per mutex, the same on every thread.
        let address = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
        return try withLock { (value: inout sending Value) throws(E) -> sending Result in
            torus_sanitizer_acquire(address)
            defer { torus_sanitizer_release(address) }
            return try body(&value)
        }
    }
}
