import Synchronization
import Testing

@testable import Torus

/// ``CrossLoopChannel``: values between loops in order, bounded (senders wait while it is
/// full), finished cleanly, and cancellation that loses nothing.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CrossLoopChannelTests {
    /// 10,000 values from two senders on one loop reach a receiver on another, each
    /// sender's in order, none lost or doubled, with never more than `capacity` queued.
    @Test(arguments: TestBackend.allCases)
    func valuesCrossInOrderAndTheQueueStaysBounded(_ backend: TestBackend) async throws {
        try await withTestGroup(backend) { group in
            let channel = try CrossLoopChannel<Int>(capacity: 8)
            let (sending, receiving) = (group.loops[0], group.loops[1])
            let sent = Counter()
            for sender in 0..<2 {
                sending.spawn {
                    for index in 0..<5000 { try await channel.send(sender * 100_000 + index) }
                    sent.increment()
                    if sent.value == 2 { channel.finish() }
                }
            }
            let (received, mostQueued) = try await receiving.run {
                var received: [Int] = []
                var mostQueued = 0
                for try await value in channel {
                    mostQueued = max(mostQueued, channel.count)
                    received.append(value)
                }
                return (received, mostQueued)
            }
            #expect(received.count == 10_000)
            #expect(received.filter { $0 < 100_000 } == Array(0..<5000))
            #expect(received.filter { $0 >= 100_000 } == Array(100_000..<105_000))
            #expect(mostQueued <= 8)
        }
    }

    /// A sender waits while the channel is full and goes on once a value is taken.
    @Test(arguments: TestBackend.allCases)
    func aSenderWaitsWhileFull(_ backend: TestBackend) async throws {
        try await withTestGroup(backend) { group in
            let channel = try CrossLoopChannel<String>(capacity: 1)
            try await channel.send("first")
            let secondSent = Flag()
            group.loops[0].spawn {
                try await channel.send("second")
                secondSent.set()
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(!secondSent.isSet)
            #expect(try await channel.receive() == "first")
            #expect(try await channel.receive() == "second")
            while !secondSent.isSet { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    /// Cancelled waiters leave without taking or sending a value; after `finish()`,
    /// receivers drain then get nil, and senders get `.closed`.
    @Test func cancellationAndFinishLoseNothing() async throws {
        let channel = try CrossLoopChannel<Int>(capacity: 1)
        let waitingReceiver = Task { try await channel.receive() }
        try await Task.sleep(for: .milliseconds(20))
        waitingReceiver.cancel()
        await #expect(throws: CancellationError.self) { try await waitingReceiver.value }
        try await channel.send(1)
        let blockedSender = Task { try await channel.send(2) }
        try await Task.sleep(for: .milliseconds(20))
        blockedSender.cancel()
        await #expect(throws: CancellationError.self) { try await blockedSender.value }
        #expect(channel.count == 1)
        channel.finish()
        channel.finish()  // harmless
        #expect(try await channel.receive() == 1)
        #expect(try await channel.receive() == nil)
        await expectTorusError(.queue, .closed) { try await channel.send(3) }
    }

    @Test func aCapacityBelowOneIsAClearError() {
        #expect(throws: TorusError(.queue, .invalidArgument("capacity must be at least 1, got 0"))) {
            try CrossLoopChannel<Int>(capacity: 0)
        }
    }
}
