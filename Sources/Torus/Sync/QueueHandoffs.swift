import DequeModule

/// Items a queue handed to getters it woke, kept until each getter runs and claims its
/// own by the ticket it was resumed with: so every item reaches the getter it was handed
/// to, whatever order the woken getters run in.
struct QueueHandoffs<Element> {
    private var items = Deque<Element?>()
    /// The ticket of `items[0]`. Tickets count modulo 2^31, so each travels as a
    /// non-negative waiter result.
    private var firstTicket: UInt32 = 0
    private static var ticketMask: UInt32 { 0x7fff_ffff }

    /// The ticket the next ``append(_:)`` will be claimed by.
    var nextTicket: Int32 { Int32(bitPattern: (firstTicket &+ UInt32(items.count)) & Self.ticketMask) }

    /// Keeps `item` for the getter resumed with ``nextTicket``.
    mutating func append(_ item: Element) {
        items.append(item)
    }

    /// The item handed over under `ticket`.
    mutating func take(_ ticket: Int32) -> Element {
        let index = Int((UInt32(bitPattern: ticket) &- firstTicket) & Self.ticketMask)
        guard let item = items[index] else { preconditionFailure("queue handoff \(ticket) claimed twice") }
        items[index] = nil
        while case .some(.none) = items.first {
            items.removeFirst()
            firstTicket = (firstTicket &+ 1) & Self.ticketMask
        }
        return item
    }
}
