import CLiburing
import Synchronization

extension EventLoop: TaskExecutor {
    /// Queues a job. On the loop thread this is a plain append; from other threads the
    /// job goes through a locked queue and one coalesced eventfd wake-up.
    public func enqueue(_ job: consuming ExecutorJob) {
        schedule(ScheduledJob(job: UnownedJob(job), isolatedToSerialExecutor: false))
    }

    func schedule(_ scheduled: ScheduledJob) {
        if isCurrent {
            ready.append(scheduled)
            return
        }
        let accepted = remote.withTSanVisibleLock { work in
            guard !work.exited else { return false }
            work.jobs.append(scheduled)
            return true
        }
        if accepted {
            wake()
        } else {
            // The loop has exited: run the job on the global pool rather than lose it.
            // Torus operations it starts throw `.loopShutDown`.
            globalConcurrentExecutor.enqueue(ExecutorJob(scheduled.job))
        }
    }

    /// Asks the loop, from any thread, to cancel an operation.
    func requestCancel(_ id: OperationID) {
        if isCurrent {
            cancel(id)
            return
        }
        let accepted = remote.withTSanVisibleLock { work in
            guard !work.exited else { return false }
            work.cancellations.append(id)
            return true
        }
        if accepted { wake() }
    }

    /// Wakes the loop out of its reactor's wait; one wake-up however many threads call
    /// it before the loop drains the remote queue. From another io_uring loop's thread
    /// it is a MSG_RING that loop submits with its next batch
    /// (``Configuration/wakesFromLoopsByMessage``); otherwise an eventfd write.
    func wake() {
        if !wakePending.exchange(true, ordering: .sequentiallyConsistent) {
            if let sender = EventLoop.current, sender !== self, sender.sendWakeMessage(to: self) { return }
            writeWakeEventFD()
        }
    }

    /// Writes the wake eventfd, which the loop's reactor reads.
    func writeWakeEventFD() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// On this loop's thread: queues a MSG_RING wake-up to `target` when both are
    /// io_uring loops and `target` wants them; false when the caller must write the
    /// eventfd instead.
    private func sendWakeMessage(to target: EventLoop) -> Bool {
        guard target.configuration.wakesFromLoopsByMessage, case .completion(let sender) = reactor,
            case .completion(let receiver) = target.reactor, !isShuttingDown
        else { return false }
        sender.prepareWakeMessage(toRing: receiver.ringDescriptor, targetNumber: target.number)
        counters.wakeMessagesSent &+= 1
        return true
    }

    /// The reactor read the wake eventfd: drain what other threads queued.
    func handleWake() {
        counters.wakeups &+= 1
        wakePending.store(false, ordering: .sequentiallyConsistent)
        var stop = false
        remote.withTSanVisibleLock { work in
            swap(&work.jobs, &remoteSpare.jobs)
            swap(&work.cancellations, &remoteSpare.cancellations)
            swap(&work.poolResults, &remoteSpare.poolResults)
            stop = work.stopRequested
        }
        ready.append(contentsOf: remoteSpare.jobs)
        remoteSpare.jobs.removeAll(keepingCapacity: true)
        for id in remoteSpare.cancellations { cancel(id) }
        remoteSpare.cancellations.removeAll(keepingCapacity: true)
        for posted in remoteSpare.poolResults { resumeWaiter(posted.id, result: posted.result) }
        remoteSpare.poolResults.removeAll(keepingCapacity: true)
        if stop { beginShutdown() }
    }
}
