import TorusTestSupport
import Glibc
import SystemPackage
import Torus

/// The Torus contender of `torus-bench file`: `File.read(into:at:)` from `depth` tasks
/// pinned to one loop. On io_uring each read is a ring operation; on epoll the same code
/// goes through the loop's blocking pool.
enum TorusFileReader {
    /// Runs `job` on a loop on `backend` with `poolThreads` blocking-pool threads and
    /// reports it.
    static func run(_ job: RandomReads, backend: Backend, poolThreads: Int) async throws {
        var configuration = EventLoop.Configuration()
        configuration.backend = backend
        configuration.blockingPoolThreads = poolThreads
        try await withEventLoop(configuration: configuration) { loop in
            let options: FileDescriptor.OpenOptions = job.direct ? .direct : []
            let file = try await File.open(FilePath(job.path), .readOnly, options: options, on: loop)
            ScenarioChild.announceReady()
            let start = ContinuousClock.now
            let reads = try await withThrowingTaskGroup(of: Int.self) { group in
                for chain in 0..<job.depth {
                    group.addTask { try await readChain(file, job, seed: UInt64(chain), until: start + job.duration) }
                }
                return try await group.reduce(0, +)
            }
            try await job.finish(reads: reads, elapsed: ContinuousClock.now - start, poolThreads: poolThreads)
            try await file.close()
        }
    }

    /// One chain: a read at a time until `deadline`; returns how many it did.
    private static func readChain(
        _ file: File, _ job: RandomReads, seed: UInt64, until deadline: ContinuousClock.Instant
    )
        async throws -> Int
    {
        let buffer = RandomReads.alignedBuffer()
        defer { buffer.deallocate() }
        var random = SplitMix64(seed: seed)
        var reads = 0
        while ContinuousClock.now < deadline {
            try RandomReads.check(try await file.read(into: buffer, at: job.offset(&random)))
            reads += 1
        }
        return reads
    }
}
