import TorusTestSupport
import Glibc

/// What a `serve file-reader` child does: `depth` concurrent chains of 4 KiB reads at
/// random 4 KiB-aligned offsets of one file, each chain issuing its next read when the
/// previous one completes, until `duration` has passed.
struct RandomReads: Sendable {
    /// The size of one read, and the alignment of buffers and offsets (O_DIRECT).
    static let blockSize = 4096

    var path: String
    var depth: Int
    var direct: Bool
    var duration: Duration
    /// How many whole blocks the file holds.
    private let blocks: UInt64

    /// Plans reads over the file at `path`, which must hold at least one block.
    init(path: String, depth: Int, direct: Bool, duration: Duration) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { throw SupportError.fileFailed(path, errno) }
        guard status.st_size >= Self.blockSize else { throw SupportError.fileFailed(path, EINVAL) }
        self.path = path
        self.depth = depth
        self.direct = direct
        self.duration = duration
        blocks = UInt64(status.st_size) / UInt64(Self.blockSize)
    }

    /// The next random offset of a chain.
    func offset(_ random: inout SplitMix64) -> Int64 {
        Int64(random.next() % blocks) * Int64(Self.blockSize)
    }

    /// A block-sized buffer aligned as O_DIRECT requires; the caller deallocates it.
    static func alignedBuffer() -> UnsafeMutableRawBufferPointer {
        .allocate(byteCount: blockSize, alignment: blockSize)
    }

    /// Checks that a read returned a whole block.
    static func check(_ count: Int) throws {
        guard count == blockSize else { throw BenchError.unexpectedOutput("read", "\(count) bytes, not \(blockSize)") }
    }

    /// Reports `reads` done in `elapsed` (``ScenarioChild/finish(_:)``). Called before
    /// the reader's threads stop: the parent sums the CPU of the threads that exist.
    func finish(reads: Int, elapsed: Duration, poolThreads: Int) async throws {
        let seconds = elapsed / .seconds(1)
        try await ScenarioChild.finish([
            "iops": String(Double(reads) / seconds), "reads": String(reads), "pool_threads": String(poolThreads),
        ])
    }
}
