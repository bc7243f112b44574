extension EventLoop {
    /// The loop's receive buffer pool, mapped (and on io_uring registered) on first use.
    /// - Throws: `.read` with `.invalidArgument` for a bad ``Configuration/receiveBufferSize``
    ///   or ``Configuration/receiveBufferCount``; `.system` when the memory cannot be mapped.
    func receiveBuffers() throws(TorusError) -> ReceiveBufferPool {
        if let pool = receiveBufferPool { return pool }
        let size = configuration.receiveBufferSize
        let count = configuration.receiveBufferCount
        guard size > 0, size <= Int(Int32.max) else {
            throw TorusError(.read, .invalidArgument("receiveBufferSize must be in 1...\(Int32.max), got \(size)"))
        }
        guard count > 0, count <= 32768, count & (count - 1) == 0 else {
            throw TorusError(
                .read, .invalidArgument("receiveBufferCount must be a power of two in 1...32768, got \(count)"))
        }
        var completion: CompletionReactor?
        if case .completion(let reactor) = reactor { completion = reactor }
        let pool = try ReceiveBufferPool(bufferSize: size, count: count, reactor: completion)
        receiveBufferPool = pool
        return pool
    }
}
