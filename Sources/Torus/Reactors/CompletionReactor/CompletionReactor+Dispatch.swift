import CLiburing

extension CompletionReactor {
    /// Routes one CQE: the wake read, an operation's result, its linked timeout's, or a
    /// sink operation's result. Stale CQEs fail the generation check and are counted.
    @inline(__always)
    func dispatch(_ cqe: torus_cqe, loop: EventLoop) {
        let userData = cqe.user_data
        if userData == OperationID.ignoredUserData { return }
        if userData == OperationID.wakeUserData {
            loop.handleWake()
            prepareWakeRead()
            return
        }
        if userData == OperationID.messageWakeUserData {
            loop.handleWake()
            return
        }
        if userData & ~UInt64(UInt32.max >> 1) == OperationID.wakeMessageSentBase {
            // A wake-up message this loop sent failed (the target's CQ overflowing, say):
            // wake the target the other way, or it would sleep on with work queued.
            EventLoopRegistry.loop(numbered: UInt32(truncatingIfNeeded: userData) & (UInt32.max >> 1))?
                .writeWakeEventFD()
            return
        }
        let id = OperationID(userData: userData)
        guard let slot = loop.slots.slot(for: id) else {
            loop.counters.staleCompletions &+= 1
            return
        }
        if userData & OperationID.linkedTimeoutBit != 0 {
            if cqe.res == -ETIME { slot.pointee.timedOut = true }
            loop.finishOne(slot, id: id)
            return
        }
        if let sink = slot.pointee.sink {
            if cqe.flags & IORING_CQE_F_MORE == 0 { loop.slots.release(id.index) }
            sink.handle(result: cqe.res, flags: cqe.flags, of: id, loop: loop)
            return
        }
        slot.pointee.result = cqe.res
        slot.pointee.flags = cqe.flags
        loop.finishOne(slot, id: id)
    }
}
