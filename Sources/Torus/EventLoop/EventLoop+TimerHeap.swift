import CLiburing

extension EventLoop {
    /// Gives waiter `id` a timer due at `deadline` (CLOCK_BOOTTIME nanoseconds) in the
    /// loop's ``TimerQueue``: no system call, on either reactor.
    func addTimer(deadline: UInt64, id: OperationID, action: TimerQueue.Action) {
        slots[id.index].pointee.timerPending = true
        timers.add(deadline: deadline, id: id, action: action)
    }

    /// Fires the timers due now, in deadline order; run after each pump of either
    /// reactor. Once a sleep has woken its task, later timeouts wait for the next pass,
    /// after that task has run: what it does at its earlier deadline (release a
    /// semaphore, put an item) must not lose to a timeout due after it, even when the
    /// loop was busy past both (Tornado's timers take effect in deadline order too).
    @inline(__always)
    func expireDueTimers() {
        guard timers.nextDeadline != nil else { return }
        let now = BootClock.nowNanoseconds
        var wokeTask = false
        while let entry = timers.popDue(now: now, holdingTimeouts: wokeTask) {
            if expire(entry.id, action: entry.action) && entry.action == .fire { wokeTask = true }
        }
    }

    /// A timer came due: a sleep completes, a per-call timeout cancels the operation
    /// still waiting. A stale timer (its waiter finished first) is dropped. Returns
    /// whether it acted on a waiter.
    @discardableResult
    private func expire(_ id: OperationID, action: TimerQueue.Action) -> Bool {
        guard let slot = slots.slot(for: id), slot.pointee.timerPending else {
            timers.staleEntryRemoved()
            return false
        }
        slot.pointee.timerPending = false
        counters.completionsReaped &+= 1
        switch action {
        case .fire:
            slot.pointee.result = -ETIME
        case .timeOut:
            slot.pointee.timedOut = true
            slot.pointee.result = -ECANCELED
        }
        finishOne(slot, id: id)
        return true
    }

    /// The waiter that had a timer finished before it: its entry is stale. The heap
    /// may be rebuilt without such entries (``TimerQueue/entryWentStale(isLive:)``).
    func timerWentStale() {
        timers.entryWentStale { timerIsLive($0) }
    }

    /// When the loop must wake for its next timer (CLOCK_BOOTTIME nanoseconds), or nil
    /// when no timer is waited for; stale entries on top of the heap are dropped first.
    func nextTimerDeadline() -> UInt64? {
        // Most turns have no timer: no closure made then.
        guard timers.nextDeadline != nil else { return nil }
        return timers.nextLiveDeadline { timerIsLive($0) }
    }

    /// Whether the waiter of `entry` still waits for it.
    private func timerIsLive(_ entry: TimerQueue.Entry) -> Bool {
        slots.slot(for: entry.id)?.pointee.timerPending == true
    }
}
