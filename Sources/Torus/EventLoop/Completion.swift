/// What an operation's waiter is resumed with: its result and flags (a CQE's on io_uring,
/// the call's return on epoll), and why it ended early, if it did.
struct Completion: Sendable {
    /// A count or descriptor when non-negative, `-errno` otherwise (a CQE's `res`).
    var result: Int32
    /// A CQE's `flags` (`IORING_CQE_F_MORE`, `IORING_CQE_F_BUFFER`, ...); 0 on epoll.
    var flags: UInt32
    /// The waiting task was cancelled while the operation was in flight.
    var cancelled: Bool
    /// The operation's linked timeout fired.
    var timedOut: Bool
}
