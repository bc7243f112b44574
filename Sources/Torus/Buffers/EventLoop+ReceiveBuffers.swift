extension EventLoop {
    /// The loop's receive buffer pool, mapped (and on io_uring registered) on first use;
    /// its configuration was validated when the loop was made.
    /// - Throws: `.read` with `.system` when the memory cannot be mapped.
    func receiveBuffers() throws(TorusError) -> ReceiveBufferPool {
        if let pool = receiveBufferPool { return pool }
        var ring: CompletionReactor?
        if case .completion(let reactor) = reactor { ring = reactor }
        let pool = try ReceiveBufferPool(
            bufferSize: configuration.receiveBufferSize, count: configuration.receiveBufferCount, reactor: ring)
        receiveBufferPool = pool
        return pool
    }
}
