import TorusTestSupport
import SystemPackage
import Glibc
import NIOCore
import NIOPosix

/// The SwiftNIO contender of `torus-bench file`: `NonBlockingFileIO` on an
/// `NIOThreadPool`, `depth` chains of reads driven by future callbacks on one event loop.
///
/// Each chain opens the file itself: an `NIOFileHandle` refuses concurrent use (EBUSY).
/// Buffered reads use `NonBlockingFileIO.read(fileHandle:fromOffset:...)`, which reads
/// into a `ByteBuffer` it allocates; that is not 4 KiB-aligned, so O_DIRECT would fail
/// with EINVAL: O_DIRECT reads run `pread` into an aligned buffer on the same pool through
/// `NIOThreadPool.runIfActive(eventLoop:)`, which is what `NonBlockingFileIO` does inside.
enum NIOFileReader {
    /// Runs `job` with a pool of `poolThreads` threads and reports it.
    static func run(_ job: RandomReads, poolThreads: Int) async throws {
        let pool = NIOThreadPool(numberOfThreads: poolThreads)
        pool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let fileIO = NonBlockingFileIO(threadPool: pool)
        var chains: [NIOReadChain] = []
        for _ in 0..<job.depth {
            let handle = try await fileIO.openFile(
                _deprecatedPath: job.path, mode: .read,
                flags: .posix(
                    flags: job.direct ? SystemPackage.FileDescriptor.OpenOptions.direct.rawValue : 0, mode: 0),
                eventLoop: loop
            ).get()
            chains.append(NIOReadChain(job: job, fileIO: fileIO, pool: pool, handle: handle, loop: loop))
        }
        ScenarioChild.announceReady()
        let start = ContinuousClock.now
        let counts = chains.enumerated().map { $1.start(seed: UInt64($0), until: start + job.duration) }
        let reads = try await EventLoopFuture.whenAllSucceed(counts, on: loop).get().reduce(0, +)
        try await job.finish(reads: reads, elapsed: ContinuousClock.now - start, poolThreads: poolThreads)
        for chain in chains { try chain.close() }
        try await group.shutdownGracefully()
        try await pool.shutdownGracefully()
    }
}

/// One chain of reads on its own file handle: each completion issues the next read from
/// its callback, until the deadline. (Not `flatMap` recursion: that would link one
/// promise per read.)
private final class NIOReadChain: @unchecked Sendable {
    // @unchecked Sendable: `buffer` and `handle` are used by one read at a time (a chain
    // has one in flight); everything else is immutable and Sendable.
    private let job: RandomReads
    private let fileIO: NonBlockingFileIO
    private let pool: NIOThreadPool
    private let handle: NIOFileHandle
    private let loop: any EventLoop
    private let buffer = RandomReads.alignedBuffer()

    init(job: RandomReads, fileIO: NonBlockingFileIO, pool: NIOThreadPool, handle: NIOFileHandle, loop: any EventLoop) {
        self.job = job
        self.fileIO = fileIO
        self.pool = pool
        self.handle = handle
        self.loop = loop
    }

    deinit { buffer.deallocate() }

    /// Starts the chain; the future gives the number of reads once `deadline` passed.
    func start(seed: UInt64, until deadline: ContinuousClock.Instant) -> EventLoopFuture<Int> {
        let promise = loop.makePromise(of: Int.self)
        loop.execute { self.step(random: SplitMix64(seed: seed), reads: 0, deadline: deadline, promise: promise) }
        return promise.futureResult
    }

    /// Closes the chain's file handle.
    func close() throws { try handle.close() }

    private func step(random: SplitMix64, reads: Int, deadline: ContinuousClock.Instant, promise: EventLoopPromise<Int>)
    {
        guard ContinuousClock.now < deadline else { return promise.succeed(reads) }
        var next = random
        let offset = job.offset(&next)
        readBlock(at: offset).whenComplete { [next] result in
            do {
                try RandomReads.check(try result.get())
                self.step(random: next, reads: reads + 1, deadline: deadline, promise: promise)
            } catch {
                promise.fail(error)
            }
        }
    }

    /// One block at `offset`; the future gives the bytes read.
    private func readBlock(at offset: Int64) -> EventLoopFuture<Int> {
        guard job.direct else {
            return fileIO.read(
                fileHandle: handle, fromOffset: offset, byteCount: RandomReads.blockSize,
                allocator: ByteBufferAllocator(), eventLoop: loop
            ).map(\.readableBytes)
        }
        return pool.runIfActive(eventLoop: loop) {
            try self.handle.withUnsafeFileDescriptor { fd in
                pread(fd, self.buffer.baseAddress, self.buffer.count, Int(offset))
            }
        }
    }
}
