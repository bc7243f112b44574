import CLiburing
import Glibc

/// Completes (with -ETIME) after `duration`, or at an absolute time, on CLOCK_BOOTTIME:
/// the clock behind `ContinuousClock` on Linux.
struct Timeout: IOOperation {
    var timespec: __kernel_timespec
    var absolute: Bool

    /// Fires after `duration`.
    init(after duration: Duration) {
        timespec = __kernel_timespec(duration)
        absolute = false
    }

    /// Fires at `deadline`, converted once to an absolute CLOCK_BOOTTIME time so that
    /// timers fire in deadline order however late they were submitted.
    init(at deadline: ContinuousClock.Instant) {
        var now = CLiburing.timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        let remaining = ContinuousClock.now.duration(to: deadline)
        let target = Duration.seconds(now.tv_sec) + .nanoseconds(now.tv_nsec) + remaining
        self.timespec = __kernel_timespec(target)
        absolute = true
    }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        slot.pointee.timespec = timespec
        let flags = IORING_TIMEOUT_BOOTTIME | (absolute ? IORING_TIMEOUT_ABS : 0)
        io_uring_prep_timeout(sqe, &slot.pointee.timespec, 0, flags)
    }

    var selectorPlan: SelectorPlan {
        let nanoseconds = UInt64(timespec.tv_sec) * 1_000_000_000 + UInt64(timespec.tv_nsec)
        return .timer(deadline: absolute ? nanoseconds : BootClock.nowNanoseconds &+ nanoseconds)
    }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("timers fire from the selector's timer heap")
    }
}
