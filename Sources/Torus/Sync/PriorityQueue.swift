import HeapModule

/// An ``AsyncQueue`` that returns its smallest item first (Tornado's
/// `tornado.queues.PriorityQueue`); store `(priority, value)`-like Comparable items.
public typealias PriorityQueue<Element: Sendable & Comparable> = AsyncQueue<PriorityBuffer<Element>>

/// Smallest item first: ``PriorityQueue``'s buffer (a swift-collections `Heap`).
public struct PriorityBuffer<Element: Sendable & Comparable>: QueueBuffer {
    private var items = Heap<Element>()

    /// An empty buffer.
    public init() {}

    /// The items kept.
    public var count: Int { items.count }

    /// Keeps `item`.
    public mutating func append(_ item: Element) {
        items.insert(item)
    }

    /// Removes and returns the smallest item.
    public mutating func removeNext() -> Element {
        items.removeMin()
    }
}
