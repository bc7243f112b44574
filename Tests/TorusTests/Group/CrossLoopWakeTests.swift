import Testing

@testable import Torus

/// How one io_uring loop wakes another when it hands it work: an `IORING_OP_MSG_RING`
/// message with its next submission, or the eventfd (configurable), and the eventfd when
/// a message fails. (epoll loops always use the eventfd.)
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct CrossLoopWakeTests {
    @Test(arguments: [true, false])
    func hopsBetweenIoUringLoopsWakeByMessageOrEventfd(_ byMessage: Bool) async throws {
        var configuration = TestBackend.ioUring.groupConfiguration(loops: 2)
        configuration.loop.wakesFromLoopsByMessage = byMessage
        try await withDescriptorGate {
            let group = try EventLoopGroup(configuration: configuration)
            let (first, second) = (group.loops[0], group.loops[1])
            let (sum, sent) = try await first.run {
                let before = await first.statistics.wakeMessagesSent
                var sum = 0
                for value in 0..<1000 { sum += try await second.run { value } }
                return (sum, await first.statistics.wakeMessagesSent - before)
            }
            #expect(sum == 499_500)
            if byMessage { #expect(sent > 0) } else { #expect(sent == 0) }
            await group.shutdownGracefully(gracePeriod: .zero)
        }
    }

    /// A wake-up message that fails (simulated: a completion carrying its tag) makes the
    /// sender wake the target through its eventfd, so work queued there runs.
    @Test func aFailedWakeMessageFallsBackToTheEventfd() async throws {
        try await withDescriptorGate {
            let group = try EventLoopGroup(configuration: TestBackend.ioUring.groupConfiguration(loops: 2))
            let (sender, target) = (group.loops[0], group.loops[1])
            // As if a message were on its way: later hand-overs do not wake the target again.
            target.wakePending.store(true, ordering: .sequentiallyConsistent)
            let ran = Flag()
            Task(executorPreference: target) { ran.set() }
            try await Task.sleep(for: .milliseconds(50))
            #expect(!ran.isSet, "the target sleeps with the job queued")
            try await sender.run {
                sender.completionReactor.prepareRawNop(
                    userData: OperationID.wakeMessageSentBase | UInt64(target.number))
                try await sender.nop()
            }
            for _ in 0..<500 where !ran.isSet { try await Task.sleep(for: .milliseconds(10)) }
            #expect(ran.isSet, "the eventfd woke the target")
            if !ran.isSet { target.writeWakeEventFD() }  // lets the shutdown below finish
            await group.shutdownGracefully(gracePeriod: .zero)
        }
    }
}
