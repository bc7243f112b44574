import CLiburing

extension Descriptor {
    /// Receives into a buffer of `pool`, chosen once data has arrived where the reactor
    /// allows it; returns the buffer lent (nil when none was filled: end of stream) and
    /// the byte count. The caller gives the buffer back.
    nonisolated(nonsending) func receive(
        from pool: ReceiveBufferPool, timeout: Duration?
    ) async throws -> (LentBuffer?, Int) {
        if pool.selectsOnArrival {
            let completion = try await complete(.read, timeout: timeout) { PooledReceive(fd: $0, pool: pool) }
            if completion.result != -ENOBUFS {
                // epoll: the attempt that just returned, with no suspension since, filled
                // the pool's next buffer; io_uring: the CQE names the buffer it filled.
                let buffer = pool.lendFilled(result: completion.result, flags: completion.flags)
                do {
                    let count = try completion.value(.read, loop: loop)
                    return (buffer, Int(count))
                } catch {
                    if let buffer { pool.giveBack(buffer) }
                    throw error
                }
            }
        }
        return try await receiveIntoLentBuffer(from: pool, timeout: timeout)
    }

    /// Every buffer is lent (ENOBUFS), or io_uring without buffer rings: lends one now
    /// (a spare one when the pool is dry) and receives into it. Kept out of line, so
    /// its copy of the submit path is not in the frame of every waiting receive.
    @inline(never)
    private nonisolated(nonsending) func receiveIntoLentBuffer(from pool: ReceiveBufferPool, timeout: Duration?)
        async throws -> (
            LentBuffer?, Int
        )
    {
        let buffer = pool.lendTop()
        do {
            let count = try await perform(.read, timeout: timeout) { Receive(fd: $0, buffer: buffer.bytes) }
            return (buffer, Int(count))
        } catch {
            pool.giveBack(buffer)
            throw error
        }
    }
}
