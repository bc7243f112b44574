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

    /// Fires at `deadline`, as an absolute CLOCK_BOOTTIME time, so timers fire in
    /// deadline order however late they were submitted.
    init(at deadline: ContinuousClock.Instant) {
        // On Linux a ContinuousClock instant *is* a CLOCK_BOOTTIME reading: the frozen
        // `Instant` holds one `Duration` since boot. Reading it directly is exact, where
        // converting through `now` on both clocks is off by any preemption between reads.
        timespec = __kernel_timespec(unsafeBitCast(deadline, to: Duration.self))
        absolute = true
    }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        slot.pointee.timespec = timespec
        let flags = IORING_TIMEOUT_BOOTTIME | (absolute ? IORING_TIMEOUT_ABS : 0)
        io_uring_prep_timeout(sqe, &slot.pointee.timespec, 0, flags)
    }

    /// When it fires, in CLOCK_BOOTTIME nanoseconds (a relative timeout counts from now).
    var deadlineNanoseconds: UInt64 {
        let nanoseconds = UInt64(timespec.tv_sec) * 1_000_000_000 + UInt64(timespec.tv_nsec)
        return absolute ? nanoseconds : BootClock.nowNanoseconds &+ nanoseconds
    }

    var selectorPlan: SelectorPlan { .timer(deadline: deadlineNanoseconds) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        preconditionFailure("timers fire from the selector's timer heap")
    }
}
