/// A queue for handing items between tasks, with Tornado's semantics
/// (`tornado.queues`): use it as ``Queue`` (FIFO), ``LifoQueue`` or ``PriorityQueue``.
///
/// With a ``maxsize``, ``put(_:timeout:)`` waits while the queue is full; ``get(timeout:)``
/// waits while it is empty. Waiting getters and putters are served first come, first
/// served: an item put while getters wait goes straight to the longest waiter, and a
/// get from a full queue first lets the longest-waiting putter's item in, then takes
/// the next item (which, for a LIFO or priority queue, may be that one). A getter
/// that timed out or was cancelled takes no item; a putter that did puts none.
/// ``taskDone()`` and ``join()`` track the items put and not yet processed.
/// `for try await item in queue` gets items until the task is cancelled.
///
/// Loop-local, like every ``LoopBound`` primitive: use it from tasks on ``loop``.
/// `put` with room and `get` with items allocate nothing.
public final class AsyncQueue<Buffer: QueueBuffer>: LoopBound, @unchecked Sendable {
    // @unchecked Sendable: the buffer, the lines and the counts are touched only on
    // `loop`'s thread; every entry point checks `loop.isCurrent` first (see LoopBound).

    /// The items' type.
    public typealias Element = Buffer.Element

    /// The loop whose tasks may use this queue.
    public let loop: EventLoop
    /// The most items the queue holds; 0 means unbounded.
    public let maxsize: Int
    private var buffer = Buffer()
    private var getters = WaiterLine<Void>()
    /// Putters waiting for room, each with its item.
    private var putters = WaiterLine<Element>()
    private var handoffs = QueueHandoffs<Element>()
    private var joiners = WaiterLine<Void>()
    /// Items put and not yet marked done by ``taskDone()``.
    private var unfinishedTasks = 0

    /// An empty queue holding at most `maxsize` items (0: unbounded), bound to `loop`
    /// (by default the calling thread's loop).
    ///
    /// - Throws: ``TorusError`` `.invalidArgument` when `maxsize` is negative;
    ///   `.notOnLoop` when no loop is given and the caller runs on none.
    public init(maxsize: Int = 0, loop: EventLoop? = nil) throws {
        guard maxsize >= 0 else { throw TorusError(.queue, .invalidArgument("maxsize \(maxsize) is negative")) }
        self.loop = try EventLoop.resolve(loop, for: .queue)
        self.maxsize = maxsize
    }

    /// The number of items in the queue.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public var count: Int {
        get throws {
            try checkOnLoop(.queue)
            return buffer.count
        }
    }

    /// Whether the queue holds no item.
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public var isEmpty: Bool {
        get throws { try count == 0 }
    }

    /// Whether the queue holds ``maxsize`` items (never, when unbounded).
    ///
    /// - Throws: ``TorusError`` `.notOnLoop`.
    public var isFull: Bool {
        get throws {
            try checkOnLoop(.queue)
            return !hasRoom
        }
    }

    /// Puts `item` in the queue, waiting (first come, first served) while it is full.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first (the item was not put), `.notOnLoop`, `.loopShutDown`.
    public func put(_ item: Element, timeout: Duration? = nil) async throws {
        try checkOnLoop(.queue)
        if offer(item) { return }
        _ = try await waitInLine(.queue, timeout: timeout) { putters.append($0, item, on: loop) }
    }

    /// Puts `item` in the queue without waiting.
    ///
    /// - Throws: ``TorusError`` `.full` when the queue is full; `.notOnLoop`.
    public func putNowait(_ item: Element) throws {
        try checkOnLoop(.queue)
        guard offer(item) else { throw TorusError(.queue, .full) }
    }

    /// Removes and returns the next item, waiting (first come, first served) while the
    /// queue is empty.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first, `.notOnLoop`, `.loopShutDown`.
    public func get(timeout: Duration? = nil) async throws -> Element {
        try checkOnLoop(.queue)
        if buffer.count > 0 { return takeStored() }
        let ticket = try await waitInLine(.queue, timeout: timeout) { getters.append($0, (), on: loop) }
        return handoffs.take(ticket)
    }

    /// Removes and returns the next item without waiting.
    ///
    /// - Throws: ``TorusError`` `.empty` when the queue is empty; `.notOnLoop`.
    public func getNowait() throws -> Element {
        try checkOnLoop(.queue)
        guard buffer.count > 0 else { throw TorusError(.queue, .empty) }
        return takeStored()
    }

    /// Marks one item taken from the queue as processed; ``join(timeout:)`` returns once
    /// every item put has been.
    ///
    /// - Throws: ``TorusError`` `.overReleased` when called more times than items were
    ///   put; `.notOnLoop`.
    public func taskDone() throws {
        try checkOnLoop(.queue)
        guard unfinishedTasks > 0 else { throw TorusError(.queue, .overReleased) }
        unfinishedTasks -= 1
        if unfinishedTasks == 0 { joiners.resumeAll(with: 0, on: loop) }
    }

    /// Waits until every item put has been marked done with ``taskDone()``.
    ///
    /// - Throws: `CancellationError`; ``TorusError``: `.timedOut` when `timeout`
    ///   elapses first, `.notOnLoop`, `.loopShutDown`.
    public func join(timeout: Duration? = nil) async throws {
        try checkOnLoop(.queue)
        if unfinishedTasks == 0 { return }
        _ = try await waitInLine(.queue, timeout: timeout) { joiners.append($0, (), on: loop) }
    }

    private var hasRoom: Bool { maxsize == 0 || buffer.count < maxsize }

    /// Hands `item` to the longest-waiting getter, or keeps it if there is room.
    /// Returns false, keeping nothing, when the queue is full.
    private func offer(_ item: Element) -> Bool {
        if getters.resumeFirst(with: handoffs.nextTicket, on: loop) != nil {
            handoffs.append(item)
        } else if hasRoom {
            buffer.append(item)
        } else {
            return false
        }
        unfinishedTasks += 1
        return true
    }

    /// Takes the next kept item. As `tornado.queues` does, the longest-waiting putter's
    /// item goes in first, then the next item is taken: for a LIFO or priority queue
    /// that may be the putter's own.
    private func takeStored() -> Element {
        if let waiting = putters.resumeFirst(with: 0, on: loop) {
            buffer.append(waiting)
            unfinishedTasks += 1
        }
        return buffer.removeNext()
    }
}

extension AsyncQueue: AsyncSequence {
    /// Gets the queue's items one by one with ``AsyncQueue/get(timeout:)``; never ends
    /// on its own: it throws `CancellationError` once the task is cancelled (even while
    /// items remain), and `.loopShutDown` when the loop shuts down.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: AsyncQueue

        /// The next item, waiting for one while the queue is empty.
        public mutating func next() async throws -> Element? {
            try Task.checkCancellation()
            return try await queue.get()
        }
    }

    /// An iterator over the items as they are put.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: self)
    }
}
