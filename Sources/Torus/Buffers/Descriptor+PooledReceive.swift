import CLiburing

extension Descriptor {
    /// Receives into a buffer of `pool`, as the pool's ``ReceivePlan`` says; returns the
    /// buffer lent (nil when none was filled: end of stream) and the byte count. The
    /// caller gives the buffer back.
    nonisolated(nonsending) func receive(
        from pool: ReceiveBufferPool, timeout: Duration?
    ) async throws -> (LentBuffer?, Int) {
        // -ENOBUFS: io_uring found every pooled buffer lent. The kernel says so before it
        // looks for data, so wait for data without a buffer first (polling first), and
        // read into a spare only once a second -ENOBUFS says bytes are waiting.
        var pollFirst = false
        while pool.plan() != .lendFirst {
            let completion = try await complete(.read, timeout: timeout) {
                PooledReceive(fd: $0, pool: pool, pollFirst: pollFirst)
            }
            if completion.result != -ENOBUFS {
                let buffer = pool.takeFilled(result: completion.result, flags: completion.flags)
                do {
                    let count = try completion.value(.read, loop: loop)
                    return (buffer, Int(count))
                } catch {
                    if let buffer { pool.giveBack(buffer) }
                    throw error
                }
            }
            if pollFirst { break }
            pollFirst = true
        }
        return try await receiveIntoLentBuffer(from: pool, timeout: timeout)
    }

    /// ``ReceivePlan/lendFirst``: lends a buffer now (a spare one when the pool is dry)
    /// and receives into it. Kept out of line, so its copy of the submit path is not in
    /// the frame of every waiting receive.
    @inline(never)
    private nonisolated(nonsending) func receiveIntoLentBuffer(
        from pool: ReceiveBufferPool, timeout: Duration?
    ) async throws -> (LentBuffer?, Int) {
        let buffer = pool.lend(for: .receiving)
        do {
            let count = try await perform(.read, timeout: timeout) { Receive(fd: $0, buffer: buffer.bytes) }
            return (buffer, Int(count))
        } catch {
            pool.giveBack(buffer)
            throw error
        }
    }
}
