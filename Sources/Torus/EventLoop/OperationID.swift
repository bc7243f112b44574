/// Names one in-flight operation: a slot index plus that slot's generation.
///
/// Encoded into an SQE's `user_data` (generation in bits 32...62, index in bits 0...31),
/// so a completion that arrives after its slot was reused (a stale CQE) fails the
/// generation check and can never resume the wrong waiter.
struct OperationID: Hashable, Sendable {
    var index: UInt32
    var generation: UInt32

    /// `user_data` for completions the loop reads but does not route (cancel requests).
    static let ignoredUserData: UInt64 = 0
    /// `user_data` of the eventfd read that wakes the loop from other threads.
    static let wakeUserData: UInt64 = 1
    /// `user_data` of the CQE another loop's `IORING_OP_MSG_RING` posts to wake this one.
    static let messageWakeUserData: UInt64 = 2
    /// Values from here up (generation 0: never a slot) tag a MSG_RING wake-up this loop
    /// sent: the low bits are the target loop's ``EventLoop/number``. Only a failed send
    /// posts a CQE with it (success is skipped), and the target is then woken by eventfd.
    static let wakeMessageSentBase: UInt64 = 1 << 31
    /// Set on the linked timeout SQE that guards an operation.
    static let linkedTimeoutBit: UInt64 = 1 << 63
    /// Generations cycle through 1...maxGeneration; 0 never names a slot, so the
    /// reserved values above can never collide with an operation.
    static let maxGeneration: UInt32 = (1 << 31) - 1

    var userData: UInt64 { UInt64(generation) << 32 | UInt64(index) }

    init(index: UInt32, generation: UInt32) {
        self.index = index
        self.generation = generation
    }

    /// Decodes `user_data`; the linked-timeout bit is ignored.
    init(userData: UInt64) {
        index = UInt32(truncatingIfNeeded: userData)
        generation = UInt32(truncatingIfNeeded: (userData & ~Self.linkedTimeoutBit) >> 32)
    }
}
