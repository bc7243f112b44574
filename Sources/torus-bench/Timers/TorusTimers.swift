import Torus

/// The Torus contender of `torus-bench timers`: one task per sleep, pinned to one loop,
/// each awaiting `loop.sleep(until:)`: what Torus code waiting on a timer looks like.
enum TorusTimers {
    /// Runs `plan` on a loop on `backend` and reports it.
    static func run(_ plan: TimerPlan, backend: Backend) async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        try await withEventLoop(configuration: configuration) { loop in
            ScenarioChild.announceReady()
            let start = ContinuousClock.now
            let fired = await withTaskGroup(of: Bool.self) { group in
                for delay in plan.delays {
                    group.addTask { (try? await loop.sleep(until: start + .nanoseconds(delay))) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try await plan.finish(fired: fired, start: start, end: .now)
        }
    }
}
