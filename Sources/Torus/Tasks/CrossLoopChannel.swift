import DequeModule
import Synchronization

/// A bounded channel of values between tasks on different loops (or any threads):
/// senders wait while ``capacity`` values are queued, receivers wait while none is.
///
/// Unlike the loop-local ``Queue``, it may be used from any loop or thread, at the cost
/// of a lock per call and a cross-thread wake-up when a waiter is resumed (its task
/// goes back to its own loop through that loop's job queue; wake-ups to one loop are
/// coalesced into one eventfd write per turn). Values are delivered in the order sent;
/// waiting senders and receivers are served first come, first served. A cancelled
/// waiter leaves without losing a value: a sender's value is not sent, a receiver takes
/// none.
///
/// ```swift
/// let channel = try CrossLoopChannel<Int>(capacity: 64)
/// loopA.spawn { for i in 0..<100 { try await channel.send(i) }; channel.finish() }
/// try await loopB.run { for try await value in channel { print(value) } }
/// ```
public final class CrossLoopChannel<Element: Sendable>: Sendable {
    /// The most values queued before ``send(_:)`` waits; at least 1.
    public let capacity: Int
    private let state: Mutex<State>

    /// Makes an empty channel.
    ///
    /// - Throws: ``TorusError`` (`.queue`) `.invalidArgument` for a capacity below 1.
    public init(capacity: Int) throws(TorusError) {
        guard capacity >= 1 else {
            throw TorusError(.queue, .invalidArgument("capacity must be at least 1, got \(capacity)"))
        }
        self.capacity = capacity
        state = Mutex(State(capacity: capacity))
    }

    /// Queues `value`, waiting while the channel is full.
    ///
    /// - Throws: ``TorusError`` (`.queue`) `.closed` once ``finish()`` was called (the
    ///   value is not sent); `CancellationError` (likewise).
    public func send(_ value: Element) async throws {
        let id = ChannelWaiterID.next()
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let outcome = state.withTSanVisibleLock { state in state.send(value, id: id, continuation) }
                outcome.resume()
            }
        } onCancel: {
            state.withTSanVisibleLock { $0.removeSender(id) }?.resume(throwing: CancellationError())
        }
    }

    /// The next value, waiting while the channel is empty; nil once it is finished and
    /// drained.
    ///
    /// - Throws: `CancellationError` (no value is taken).
    public func receive() async throws -> Element? {
        let id = ChannelWaiterID.next()
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Element?, any Error>) in
                let outcome = state.withTSanVisibleLock { state in state.receive(id: id, continuation) }
                outcome.resume()
            }
        } onCancel: {
            state.withTSanVisibleLock { $0.removeReceiver(id) }?.resume(throwing: CancellationError())
        }
    }

    /// Ends the channel: receivers get what is queued, then nil; waiting and later
    /// senders throw `.closed`. Calling it again does nothing.
    public func finish() {
        let (senders, receivers) = state.withTSanVisibleLock { $0.finish() }
        for sender in senders { sender.resume(throwing: TorusError(.queue, .closed)) }
        for receiver in receivers { receiver.resume(returning: nil) }
    }

    /// Values queued now (a snapshot: other threads may change it at once).
    public var count: Int { state.withTSanVisibleLock { $0.values.count } }
}

extension CrossLoopChannel: AsyncSequence {
    /// Receives until the channel is finished and drained.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: CrossLoopChannel

        /// The next value; nil once the channel is finished and drained.
        public mutating func next() async throws -> Element? { try await channel.receive() }
    }

    /// An iterator that receives from the channel.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: self) }
}

extension CrossLoopChannel {
    /// What a call does once the lock is released: resumes the continuations it settled.
    struct Outcome {
        var sender: UnsafeContinuation<Void, any Error>?
        var senderError: (any Error)?
        var receiver: UnsafeContinuation<Element?, any Error>?
        var received: Element?
        var receiverError: (any Error)?

        /// Resumes what was settled (outside the lock).
        func resume() {
            if let sender {
                if let senderError { sender.resume(throwing: senderError) } else { sender.resume() }
            }
            if let receiver {
                if let receiverError {
                    receiver.resume(throwing: receiverError)
                } else {
                    receiver.resume(returning: received)
                }
            }
        }
    }

    /// The queue and the lines of waiters, under the lock.
    struct State: ~Copyable {
        var values = Deque<Element>()
        var senders = Deque<(id: ChannelWaiterID, value: Element, continuation: UnsafeContinuation<Void, any Error>)>()
        var receivers = Deque<(id: ChannelWaiterID, continuation: UnsafeContinuation<Element?, any Error>)>()
        var isFinished = false
        let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        mutating func send(
            _ value: Element, id: ChannelWaiterID, _ continuation: UnsafeContinuation<Void, any Error>
        ) -> Outcome {
            if isFinished { return Outcome(sender: continuation, senderError: TorusError(.queue, .closed)) }
            if Task.isCancelled { return Outcome(sender: continuation, senderError: CancellationError()) }
            if let receiver = receivers.popFirst() {
                return Outcome(sender: continuation, receiver: receiver.continuation, received: value)
            }
            if values.count < capacity {
                values.append(value)
                return Outcome(sender: continuation)
            }
            senders.append((id, value, continuation))
            return Outcome()
        }

        mutating func receive(id: ChannelWaiterID, _ continuation: UnsafeContinuation<Element?, any Error>) -> Outcome {
            if Task.isCancelled { return Outcome(receiver: continuation, receiverError: CancellationError()) }
            if let value = values.popFirst() {
                // Room now: the longest-waiting sender's value joins the queue.
                var outcome = Outcome(receiver: continuation, received: value)
                if let sender = senders.popFirst() {
                    values.append(sender.value)
                    outcome.sender = sender.continuation
                }
                return outcome
            }
            if let sender = senders.popFirst() {
                return Outcome(sender: sender.continuation, receiver: continuation, received: sender.value)
            }
            if isFinished { return Outcome(receiver: continuation) }
            receivers.append((id, continuation))
            return Outcome()
        }

        mutating func removeSender(_ id: ChannelWaiterID) -> UnsafeContinuation<Void, any Error>? {
            guard let index = senders.firstIndex(where: { $0.id == id }) else { return nil }
            return senders.remove(at: index).continuation
        }

        mutating func removeReceiver(_ id: ChannelWaiterID) -> UnsafeContinuation<Element?, any Error>? {
            guard let index = receivers.firstIndex(where: { $0.id == id }) else { return nil }
            return receivers.remove(at: index).continuation
        }

        mutating func finish() -> ([UnsafeContinuation<Void, any Error>], [UnsafeContinuation<Element?, any Error>]) {
            guard !isFinished else { return ([], []) }
            isFinished = true
            defer {
                senders.removeAll()
                receivers.removeAll()
            }
            return (senders.map(\.continuation), receivers.map(\.continuation))
        }
    }
}

/// Identifies one waiting call of a ``CrossLoopChannel``, so its cancellation finds it.
struct ChannelWaiterID: Equatable {
    private static let counter = Atomic<UInt64>(0)
    let value: UInt64
    static func next() -> ChannelWaiterID {
        ChannelWaiterID(value: counter.wrappingAdd(1, ordering: .relaxed).oldValue)
    }
}
