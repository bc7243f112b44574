extension EventLoop {
    /// How a loop is built. The defaults suit a server with a few thousand connections.
    public struct Configuration: Sendable {
        /// SQ ring entries (io_uring; the kernel rounds up to a power of two), 2 to
        /// 32,768: an operation and its linked timeout go in one submission. A full SQ is
        /// submitted, never dropped.
        public var submissionQueueEntries: UInt32 = 1024
        /// CQ ring entries (io_uring; rounded up likewise), from `submissionQueueEntries`
        /// to 65,536; multishot operations can post many CQEs per SQE. A burst past it
        /// waits in the kernel's overflow list and is reaped on the next turns.
        public var completionQueueEntries: UInt32 = 8192
        /// Operation slots allocated up front; the table grows by 1,024 when exhausted.
        public var initialOperationSlots: Int = 1024
        /// Jobs run before the loop checks for completions again, so a busy task
        /// cannot starve I/O.
        public var jobBudgetPerTurn: Int = 512
        /// The reactor: `.automatic` (the default) picks io_uring when the process may
        /// use it and epoll otherwise; `TORUS_BACKEND=io_uring|epoll` overrides.
        public var backend: Backend = .automatic
        /// Threads that run regular-file I/O for an epoll loop (epoll cannot wait on
        /// regular files); started on first use. io_uring loops need none.
        public var blockingPoolThreads: Int = 4
        /// The loop thread's name, as `top -H` and debuggers show it.
        public var threadName: String = "torus-loop"
        /// How a task on another io_uring loop wakes this loop when it hands it work (a
        /// job, a resumed waiter): `true` (the default) sends an `IORING_OP_MSG_RING`
        /// with the sender's next submission, no system call of its own; `false` writes
        /// the loop's eventfd at once, as other threads always do. Either way one wake-up
        /// per loop turn however many hand-overs. `torus-bench hop` measures both.
        public var wakesFromLoopsByMessage = true
        /// The CPU the loop thread is pinned to, or nil (the default) to let the
        /// scheduler place it. ``EventLoopGroup`` sets it for each loop when asked to pin.
        public var cpu: Int? = nil
        /// Bytes in each buffer of the loop's receive pool: the most one
        /// ``TCPConnection/receive(timeout:_:)`` hands over.
        public var receiveBufferSize: Int = 16384
        /// Buffers in the loop's receive pool (a power of two, at most 32,768), mapped on
        /// the first receive (16 MiB of address space by default; a page costs RSS only
        /// once the kernel writes into it). A buffer is lent only while received bytes are
        /// handed to the caller, so this bounds busy connections, not open ones; past it,
        /// receives use spare buffers, made on the first shortages and kept
        /// (``LoopStatistics/receiveBufferShortages``), at the cost of one more kernel
        /// round trip each on io_uring (the ENOBUFS completion).
        public var receiveBufferCount: Int = 1024
        /// Bytes a connection served by a handler may queue to send before it stops
        /// receiving (``TCPConnection/isWritable`` turns false): a peer that sends and
        /// never reads cannot make the server buffer without bound. SwiftNIO's channel
        /// writability, per connection.
        public var sendQueueHighWatermark: Int = 256 << 10
        /// Queued bytes at or below which a connection that stopped receiving receives
        /// again (``TCPConnection/isWritable`` turns true).
        public var sendQueueLowWatermark: Int = 64 << 10

        /// The default configuration.
        public init() {}

        /// Checks every value before a loop is built with them, so a bad one fails
        /// ``EventLoop/init(configuration:)`` with a message naming it, not a later call.
        /// - Throws: ``TorusError`` (`.eventLoop`) with `.invalidArgument`.
        public func validate() throws(TorusError) {
            func invalid(_ message: String) -> TorusError { TorusError(.eventLoop, .invalidArgument(message)) }
            if let cpu, cpu < 0 || cpu >= 1024 {
                throw invalid("cpu must be in 0..<1024 (CPU_SETSIZE), got \(cpu)")
            }
            guard receiveBufferSize > 0, receiveBufferSize <= Int(Int32.max) else {
                throw invalid("receiveBufferSize must be in 1...\(Int32.max), got \(receiveBufferSize)")
            }
            guard sendQueueLowWatermark >= 0, sendQueueHighWatermark > sendQueueLowWatermark else {
                throw invalid(
                    "send queue watermarks must satisfy 0 <= low < high, got low \(sendQueueLowWatermark), "
                        + "high \(sendQueueHighWatermark)")
            }
            guard submissionQueueEntries >= 2, submissionQueueEntries <= 32768,
                completionQueueEntries >= submissionQueueEntries, completionQueueEntries <= 65536
            else {
                throw invalid(
                    "ring sizes must satisfy 2 <= submissionQueueEntries <= 32768 and submissionQueueEntries "
                        + "<= completionQueueEntries <= 65536, got \(submissionQueueEntries) and \(completionQueueEntries)"
                )
            }
            guard receiveBufferCount > 0, receiveBufferCount <= 32768,
                receiveBufferCount & (receiveBufferCount - 1) == 0
            else {
                throw invalid("receiveBufferCount must be a power of two in 1...32768, got \(receiveBufferCount)")
            }
        }
    }
}
