/// Where an ``AsyncQueue`` keeps its items, and so which item `get` returns next:
/// ``FIFOBuffer`` (``Queue``), ``LIFOBuffer`` (``LifoQueue``), ``PriorityBuffer``
/// (``PriorityQueue``). The counterpart of Tornado's `_init`/`_put`/`_get` overrides.
public protocol QueueBuffer {
    /// The items' type.
    associatedtype Element: Sendable
    /// An empty buffer.
    init()
    /// The items kept.
    var count: Int { get }
    /// Keeps `item`.
    mutating func append(_ item: Element)
    /// Removes and returns the next item; only called when ``count`` is positive.
    mutating func removeNext() -> Element
}
