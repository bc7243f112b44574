import Glibc

/// CLOCK_BOOTTIME, the clock of `ContinuousClock` on Linux and of every Torus timer:
/// deadlines in the loop's ``TimerQueue`` are nanoseconds on it.
enum BootClock {
    /// Now, in nanoseconds.
    static var nowNanoseconds: UInt64 {
        var now = Glibc.timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// How long until `deadline`, in nanoseconds; 0 once it has passed.
    static func nanoseconds(until deadline: UInt64) -> UInt64 {
        let now = nowNanoseconds
        return deadline > now ? deadline - now : 0
    }

    /// The deadline `duration` from now; a negative duration is now.
    static func deadline(after duration: Duration) -> UInt64 {
        let (deadline, overflow) = nowNanoseconds.addingReportingOverflow(nanoseconds(duration))
        return overflow ? .max : deadline
    }

    /// `instant` in nanoseconds since boot. On Linux a ContinuousClock instant *is* a
    /// CLOCK_BOOTTIME reading (the frozen `Instant` holds one `Duration` since boot), so
    /// reading it directly is exact, where converting through `now` on both clocks is
    /// off by any preemption between the two reads.
    static func nanoseconds(at instant: ContinuousClock.Instant) -> UInt64 {
        nanoseconds(unsafeBitCast(instant, to: Duration.self))
    }

    /// A duration in whole nanoseconds: a negative one is 0, one of more than 500 years
    /// is forever.
    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds < 16_000_000_000 else { return .max }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
