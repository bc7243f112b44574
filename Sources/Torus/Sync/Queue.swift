import DequeModule

/// A first in, first out ``AsyncQueue`` (Tornado's `tornado.queues.Queue`).
public typealias Queue<Element: Sendable> = AsyncQueue<FIFOBuffer<Element>>

/// Oldest item first: ``Queue``'s buffer (a swift-collections `Deque`).
public struct FIFOBuffer<Element: Sendable>: QueueBuffer {
    private var items = Deque<Element>()

    /// An empty buffer.
    public init() {}

    /// The items kept.
    public var count: Int { items.count }

    /// Keeps `item` at the back.
    public mutating func append(_ item: Element) {
        items.append(item)
    }

    /// Removes and returns the oldest item.
    public mutating func removeNext() -> Element {
        items.removeFirst()
    }
}
