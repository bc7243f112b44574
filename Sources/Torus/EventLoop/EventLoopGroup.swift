import CLiburing
import Glibc
import Synchronization

/// N event loops, one thread and one reactor each: the way a Torus program uses every
/// core (thread per core, as monoio, glommio, Seastar and Netty do; SwiftNIO's
/// `MultiThreadedEventLoopGroup`).
///
/// Nothing is shared between the loops on the hot path: each has its own ring (or epoll
/// set), operation slots, timers, receive buffers and descriptors. Connections are
/// spread over the loops by a ``ShardedListener`` (one `SO_REUSEPORT` listener per loop,
/// or one acceptor handing connections off); work crosses loops with ``EventLoop/run(_:)``
/// (await a result computed on another loop) and ``CrossLoopChannel`` (a bounded stream).
///
/// ```swift
/// let group = try EventLoopGroup()              // one loop per CPU this process may use
/// let listener = try await ShardedListener.bind(to: address, sharding: .reusePort, on: group)
/// try await listener.serve { connection in ... } // each connection on its own loop
/// await group.shutdownGracefully(gracePeriod: .seconds(10))
/// ```
///
/// Shut a group down with ``shutdownGracefully(gracePeriod:)``; a group dropped without it
/// keeps its threads, as a loop does.
public final class EventLoopGroup: Sendable {
    /// How a group is built.
    public struct Configuration: Sendable {
        /// How many loops: by default ``EventLoopGroup/defaultLoopCount`` (the CPUs in
        /// the process's affinity mask, or `TORUS_LOOPS`). At least 1.
        public var loopCount: Int = EventLoopGroup.defaultLoopCount
        /// What every loop is built with; each loop's thread is named
        /// `threadName-<index>` and, with ``pinsLoopsToCPUs``, gets its own CPU.
        public var loop = EventLoop.Configuration()
        /// Pins loop *i* to the *i*-th CPU of the process's affinity mask (wrapping
        /// round when there are more loops than CPUs). Off by default: the scheduler
        /// then moves threads freely, which suits a machine shared with other work.
        public var pinsLoopsToCPUs = false

        /// The defaults: ``EventLoopGroup/defaultLoopCount`` loops, unpinned, each with
        /// the default ``EventLoop/Configuration``.
        public init() {}
    }

    /// The environment variable that overrides ``defaultLoopCount`` (a positive integer),
    /// as `NIO_SINGLETON_GROUP_LOOP_COUNT` does for SwiftNIO.
    public static let loopCountVariable = "TORUS_LOOPS"

    /// The loops, in index order.
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)
    let shutdownState = Mutex(ShutdownState.running)
    /// False for ``shared``, which lives as long as the process.
    private let mayShutDown: Bool

    /// Starts `configuration.loopCount` loops.
    ///
    /// - Throws: ``TorusError`` (`.eventLoop`): `.invalidArgument` for a loop count
    ///   below 1 or a bad loop configuration; what ``EventLoop/init(configuration:)``
    ///   throws (the loops already started are shut down first).
    public convenience init(configuration: Configuration = Configuration()) throws {
        try self.init(configuration: configuration, mayShutDown: true)
    }

    /// Starts `loopCount` loops on `backend` with the default configuration otherwise.
    public convenience init(loopCount: Int, backend: Backend = .automatic) throws {
        var configuration = Configuration()
        configuration.loopCount = loopCount
        configuration.loop.backend = backend
        try self.init(configuration: configuration)
    }

    private init(configuration: Configuration, mayShutDown: Bool) throws {
        guard configuration.loopCount >= 1 else {
            throw TorusError(
                .eventLoop, .invalidArgument("loopCount must be at least 1, got \(configuration.loopCount)"))
        }
        let cpus = configuration.pinsLoopsToCPUs ? Self.allowedCPUs() : []
        var loops: [EventLoop] = []
        do {
            for index in 0..<configuration.loopCount {
                var loopConfiguration = configuration.loop
                loopConfiguration.threadName = "\(configuration.loop.threadName)-\(index)"
                if !cpus.isEmpty { loopConfiguration.cpu = cpus[index % cpus.count] }
                loops.append(try EventLoop(configuration: loopConfiguration))
            }
        } catch {
            for loop in loops { loop.requestShutdown() }
            throw error
        }
        self.loops = loops
        self.mayShutDown = mayShutDown
    }

    /// The group most programs need, made on first use with the default configuration
    /// and never shut down (``shutdownGracefully(gracePeriod:)`` on it does nothing), as
    /// SwiftNIO's `MultiThreadedEventLoopGroup.singleton`.
    ///
    /// Traps if its loops cannot start (io_uring and epoll both unusable, no threads):
    /// a program that must handle that builds its own group.
    public static let shared: EventLoopGroup = {
        do {
            return try EventLoopGroup(configuration: Configuration(), mayShutDown: false)
        } catch {
            fatalError("EventLoopGroup.shared: \(error)")
        }
    }()

    /// `TORUS_LOOPS` when it is set to a positive integer, otherwise the number of CPUs
    /// in the process's affinity mask (what `taskset` or a container's cpuset allows,
    /// not every CPU of the machine), at least 1.
    public static var defaultLoopCount: Int {
        if let text = getenv(loopCountVariable), let count = Int(String(cString: text)), count > 0 { return count }
        return Swift.max(allowedCPUs().count, 1)
    }

    /// The next loop in round-robin order: where to put a new connection or piece of
    /// work when any loop will do. One relaxed atomic increment.
    public func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// The loop of this group running the calling thread, or nil off its loops.
    public var current: EventLoop? {
        guard let loop = EventLoop.current, loops.contains(where: { $0 === loop }) else { return nil }
        return loop
    }

    /// Whether ``shutdownGracefully(gracePeriod:)`` has begun.
    public var isShuttingDown: Bool {
        shutdownState.withTSanVisibleLock { state in
            if case .running = state { return false }
            return true
        }
    }

    /// Whether this is ``shared``, which is never shut down.
    var isShared: Bool { !mayShutDown }

    /// The CPUs this process may run on, in ascending order.
    static func allowedCPUs() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = torus_affinity_cpus(&cpus, Int32(cpus.count))
        guard count > 0 else { return [] }
        return cpus[..<Swift.min(Int(count), cpus.count)].map(Int.init)
    }
}

extension EventLoopGroup: Sequence {
    /// Iterates the loops in index order.
    public func makeIterator() -> IndexingIterator<[EventLoop]> { loops.makeIterator() }
}
