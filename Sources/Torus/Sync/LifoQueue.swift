/// A last in, first out ``AsyncQueue`` (Tornado's `tornado.queues.LifoQueue`).
public typealias LifoQueue<Element: Sendable> = AsyncQueue<LIFOBuffer<Element>>

/// Newest item first: ``LifoQueue``'s buffer (a stack).
public struct LIFOBuffer<Element: Sendable>: QueueBuffer {
    private var items: [Element] = []

    /// An empty buffer.
    public init() {}

    /// The items kept.
    public var count: Int { items.count }

    /// Pushes `item`.
    public mutating func append(_ item: Element) {
        items.append(item)
    }

    /// Removes and returns the newest item.
    public mutating func removeNext() -> Element {
        items.removeLast()
    }
}
