import Foundation
import Testing
import TorusTestSupport

@testable import Torus

/// ``EventLoopGroup/shutdownGracefully(gracePeriod:)`` of a loaded group: it stops
/// accepting, lets work in flight finish until the grace period, cancels the rest, and
/// leaves no thread, descriptor, operation slot or receive buffer behind (counted).
@Suite(.descriptorGate, .timeLimit(.minutes(2 * testTimeScale)))
struct GroupShutdownTests {
    /// 1,000 connections (handler-served and in tasks, half each) and 1,000 sleeping
    /// tasks on a 2-loop group; the test runs alone (descriptor gate held exclusively),
    /// so the process's descriptors and threads can be counted before and after.
    @Test(arguments: TestBackend.allCases)
    func aLoadedGroupShutsDownWithinItsGracePeriodLeavingNothing(_ backend: TestBackend) async throws {
        _ = raiseOpenFileLimit()
        try await withDescriptorGate(.exclusive) {
            // Swift's global executor makes its timer descriptor (a timerfd, once per
            // process) on the first Task.sleep, which the shutdown's wait makes: first here.
            try await Task.sleep(for: .milliseconds(1))
            let descriptorsBefore = openDescriptors()
            try await shutDownALoadedGroup(backend, threadName: "torus-shut")
            // The loops' own ring (or epoll set) and eventfd go with their last reference.
            var descriptorsAfter = openDescriptors()
            for _ in 0..<500 where descriptorsAfter.count > descriptorsBefore.count {
                try await Task.sleep(for: .milliseconds(10))
                descriptorsAfter = openDescriptors()
            }
            let left = descriptorsAfter.filter { descriptorsBefore[$0.key] != $0.value }
            #expect(descriptorsAfter.count <= descriptorsBefore.count, "still open: \(left)")
        }
    }

    private func shutDownALoadedGroup(_ backend: TestBackend, threadName: String) async throws {
        let group = try EventLoopGroup(configuration: backend.groupConfiguration(loops: 2, threadName: threadName))
        #expect(threads(named: threadName) == 2)
        let byHandler = try await ShardedListener.bind(to: .loopbackV4, sharding: .reusePort, on: group)
        let inTasks = try await ShardedListener.bind(to: .loopbackV4, sharding: .handOff, on: group)
        let servers = [
            Task { try await byHandler.serve { _ in EchoHandler { _ in } } },
            Task {
                try await inTasks.serve { connection in await echoUntilEnd(connection) }
            },
        ]
        let sleepersCancelled = Counter()
        for _ in 0..<1000 {
            group.next().spawn {
                do {
                    try await EventLoop.current!.sleep(for: .seconds(3600))
                } catch {
                    sleepersCancelled.increment()
                }
            }
        }
        let clientLoop = try backend.makeLoop()
        let message = Array("still here".utf8)
        let clients =
            try await connectEchoClients(500, to: byHandler.localAddress, on: clientLoop, message: message)
            + connectEchoClients(500, to: inTasks.localAddress, on: clientLoop, message: message)
        for loop in group.loops { #expect(await loop.statistics.operationSlotsInUse >= 500) }

        let gracePeriod = Duration.milliseconds(300)
        let started = ContinuousClock.now
        await group.shutdownGracefully(gracePeriod: gracePeriod)
        let took = ContinuousClock.now - started
        #expect(took >= gracePeriod, "the connections and sleepers were in flight: it waited the grace period")
        #expect(took < gracePeriod + .seconds(5).scaled, "took \(took)")

        for server in servers { try await server.value }  // accepting stopped
        #expect(sleepersCancelled.value == 1000)
        for loop in group.loops {
            let statistics = await loop.statistics  // read after the thread was joined
            #expect(statistics.operationSlotsInUse == 0)
            #expect(statistics.descriptorsOwned == 0)
            #expect(statistics.receiveBuffersLent == 0)
        }
        #expect(threads(named: threadName) == 0, "every loop thread joined")
        // Every client reads end of stream: the server closed its side.
        let ended = try await clientLoop.run {
            var ended = 0
            for client in clients {
                if try await client.read(upTo: 16, timeout: .seconds(10)).isEmpty { ended += 1 }
                try await client.close()
            }
            return ended
        }
        #expect(ended == 1000)
        await expectTorusError(.connect, .system(.connectionRefused)) {
            try await clientLoop.run { try await TCPConnection.connect(to: byHandler.localAddress) }
        }
        await clientLoop.shutdown()
    }

    /// With nothing in flight the shutdown does not wait for the grace period.
    @Test(arguments: TestBackend.allCases)
    func anIdleGroupShutsDownAtOnce(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let group = try EventLoopGroup(configuration: backend.groupConfiguration(loops: 2))
            let started = ContinuousClock.now
            await group.shutdownGracefully(gracePeriod: .seconds(30))
            #expect(ContinuousClock.now - started < .seconds(5).scaled)
        }
    }

    /// Work that finishes within the grace period is not cancelled: a request in flight
    /// when the shutdown begins gets its answer.
    @Test(arguments: TestBackend.allCases)
    func workInFlightFinishesWithinTheGracePeriod(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let group = try EventLoopGroup(configuration: backend.groupConfiguration(loops: 2))
            let finished = Flag()
            let loop = group.loops[1]
            let started = Flag()
            loop.spawn {
                started.set()
                try await loop.sleep(for: .milliseconds(200))
                finished.set()
            }
            while !started.isSet { try await Task.sleep(for: .milliseconds(1)) }
            await group.shutdownGracefully(gracePeriod: .seconds(30))
            #expect(finished.isSet)
        }
    }
}
