extension EventLoop {
    /// Registers `handler` to run on this loop when a graceful shutdown begins
    /// (``EventLoopGroup/shutdownGracefully(gracePeriod:)``): a listener closes, a server
    /// stops taking requests. Keyed by `owner`, which removes it with
    /// ``removeQuiesceHandler(for:)`` once it has stopped by itself. On the loop thread.
    package func addQuiesceHandler(for owner: AnyObject, _ handler: @escaping @Sendable () async -> Void) {
        assert(isCurrent, "quiesce handlers are registered on the loop thread")
        quiesceHandlers[ObjectIdentifier(owner)] = handler
    }

    /// Removes `owner`'s handler. On the loop thread.
    package func removeQuiesceHandler(for owner: AnyObject) {
        assert(isCurrent, "quiesce handlers are removed on the loop thread")
        quiesceHandlers[ObjectIdentifier(owner)] = nil
    }

    /// Runs every registered handler once, concurrently, and waits for them. On the loop
    /// thread; the handlers run here too.
    func quiesce() async {
        let handlers = quiesceHandlers.values
        quiesceHandlers.removeAll()
        await withTaskGroup(of: Void.self) { tasks in
            for handler in handlers { tasks.addTask { await handler() } }
        }
    }
}
