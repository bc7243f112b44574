import Synchronization

/// Every live loop of the process by its ``EventLoop/number``: how a loop whose
/// MSG_RING wake-up failed finds the loop it meant to wake (a CQE carries a number, not
/// a reference). Touched at a loop's start and end, and on such a failure only.
enum EventLoopRegistry {
    private struct WeakLoop {
        weak var loop: EventLoop?
    }

    private static let loops = Mutex<(next: UInt32, byNumber: [UInt32: WeakLoop])>((1, [:]))

    /// Registers `loop` and returns its number (below 2^31, as a CQE tag can carry).
    static func register(_ loop: EventLoop) -> UInt32 {
        loops.withTSanVisibleLock { state in
            var number = state.next
            while state.byNumber[number] != nil { number = number % (UInt32.max >> 1) + 1 }
            state.next = number % (UInt32.max >> 1) + 1
            state.byNumber[number] = WeakLoop(loop: loop)
            return number
        }
    }

    /// Forgets loop `number` (its `deinit`).
    static func unregister(_ number: UInt32) {
        _ = loops.withTSanVisibleLock { $0.byNumber.removeValue(forKey: number) }
    }

    /// The live loop numbered `number`, if any.
    static func loop(numbered number: UInt32) -> EventLoop? {
        loops.withTSanVisibleLock { $0.byNumber[number]?.loop }
    }
}
