import NIOCore
import NIOPosix

/// The SwiftNIO contender of `torus-bench timers`: `EventLoop.scheduleTask(deadline:)`
/// on one event loop, a callback per timer: NIO's own timer API, what NIO code (idle
/// timeouts, retries) uses. (`Task.sleep` would time on the Swift concurrency global
/// executor, not on NIO's loop.)
enum NIOTimers {
    /// Runs `plan` on a one-thread event loop group and reports it.
    static func run(_ plan: TimerPlan) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        ScenarioChild.announceReady()
        let start = ContinuousClock.now
        let fired = try await loop.flatSubmit {
            let base = NIODeadline.now()
            let fired = NIOLoopBoundBox(0, eventLoop: loop)
            let done = loop.makePromise(of: Int.self)
            for delay in plan.delays {
                loop.scheduleTask(deadline: base + .nanoseconds(delay)) {
                    fired.value += 1
                    if fired.value == plan.delays.count { done.succeed(fired.value) }
                }
            }
            return done.futureResult
        }.get()
        try await plan.finish(fired: fired, start: start, end: .now)
        try await group.shutdownGracefully()
    }
}
