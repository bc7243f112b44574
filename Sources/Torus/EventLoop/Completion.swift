/// What an operation's waiter is resumed with: the CQE's result and flags, and why it
/// ended early, if it did.
struct Completion: Sendable {
    /// The CQE's `res`: a count or descriptor when non-negative, `-errno` otherwise.
    var result: Int32
    /// The CQE's `flags` (`IORING_CQE_F_MORE`, ...).
    var flags: UInt32
    /// The waiting task was cancelled while the operation was in flight.
    var cancelled: Bool
    /// The operation's linked timeout fired.
    var timedOut: Bool
}
