import Foundation
import Testing

@testable import Torus

/// ``EventLoopGroup``: its loops, round robin, the current loop, starting tasks on a
/// loop, and what happens to work sent to a loop that has shut down.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct EventLoopGroupTests {
    @Test(arguments: TestBackend.allCases)
    func loopsAreDistinctThreadsAndNextGoesRoundRobin(_ backend: TestBackend) async throws {
        try await withTestGroup(backend, loops: 3) { group in
            #expect(group.loops.count == 3)
            #expect(Array(group).map(\.configuration.threadName) == ["torus-grp-0", "torus-grp-1", "torus-grp-2"])
            #expect(group.loops.allSatisfy { $0.backend == backend.configuration.backend })
            let picked = (0..<6).map { _ in group.next() }
            for (index, loop) in picked.enumerated() { #expect(loop === picked[index % 3]) }
            #expect(Set(picked.map { ObjectIdentifier($0) }).count == 3)
            #expect(group.current == nil)
            for loop in group.loops {
                let current = try await loop.run { group.current }
                #expect(current === loop)
            }
        }
    }

    @Test func aLoopCountBelowOneIsAClearError() async throws {
        var configuration = EventLoopGroup.Configuration()
        configuration.loopCount = 0
        #expect(throws: TorusError(.eventLoop, .invalidArgument("loopCount must be at least 1, got 0"))) {
            try EventLoopGroup(configuration: configuration)
        }
        var pinned = EventLoop.Configuration()
        pinned.cpu = -1
        await expectTorusError(.eventLoop, .invalidArgument("cpu must be in 0..<1024 (CPU_SETSIZE), got -1")) {
            try EventLoop(configuration: pinned)
        }
    }

    /// The default count is the CPUs this process may use, unless TORUS_LOOPS says.
    @Test func theDefaultLoopCountFollowsTheAffinityMask() {
        let cpus = EventLoopGroup.allowedCPUs()
        #expect(!cpus.isEmpty)
        if getenv(EventLoopGroup.loopCountVariable) == nil { #expect(EventLoopGroup.defaultLoopCount == cpus.count) }
    }

    @Test(arguments: TestBackend.allCases)
    func pinnedLoopsRunOnTheirOwnCPU(_ backend: TestBackend) async throws {
        var configuration = backend.groupConfiguration(loops: 2)
        configuration.pinsLoopsToCPUs = true
        let cpus = EventLoopGroup.allowedCPUs()
        try await withDescriptorGate {
            let group = try EventLoopGroup(configuration: configuration)
            for (index, loop) in group.loops.enumerated() {
                #expect(loop.configuration.cpu == cpus[index % cpus.count])
                let allowed = try await loop.run { EventLoopGroup.allowedCPUs() }
                #expect(allowed == [cpus[index % cpus.count]])
            }
            await group.shutdownGracefully(gracePeriod: .zero)
        }
    }

    /// A value computed on another loop crosses there and back, from a loop and from a
    /// thread of the global pool; the caller resumes where it was.
    @Test(arguments: TestBackend.allCases)
    func aValueCrossesLoopsAndBack(_ backend: TestBackend) async throws {
        try await withTestGroup(backend) { group in
            let (first, second) = (group.loops[0], group.loops[1])
            let answer = try await first.run {
                let computed = try await second.run { (second.isCurrent, 21 * 2) }
                return (computed.0, computed.1, first.isCurrent)
            }
            #expect(answer == (true, 42, true))
            #expect(try await second.run { second.isCurrent })
        }
    }

    /// `Task { }` inside `loop.run` runs on the global pool, where a loop-bound call
    /// throws `.notOnLoop` naming the loop and the thread; `loop.spawn` runs on the loop.
    @Test(arguments: TestBackend.allCases)
    func spawnRunsOnTheLoopAndNotOnLoopSaysWhy(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let event = try Event(loop: loop)
            let unpinned = Task { try event.set() }
            let error = await torusError { try await unpinned.value }
            #expect(error == TorusError(.event, .notOnLoop))
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains("owned by loop torus-test, called on thread"), "\(text)")
            #expect(text.contains("which runs no loop"), "\(text)")
            #expect(text.contains("loop.spawn"), "\(text)")
            loop.spawn { try event.set() }
            try await event.wait(timeout: .seconds(10))
        }
    }

    /// After shutdown, `run` throws instead of running the body on the global pool, and a
    /// spawned body does not run.
    @Test(arguments: TestBackend.allCases)
    func workSentAfterShutdownFailsClearly(_ backend: TestBackend) async throws {
        let group = try await withDescriptorGate {
            try EventLoopGroup(configuration: backend.groupConfiguration(loops: 2))
        }
        await group.shutdownGracefully(gracePeriod: .zero)
        await group.shutdownGracefully(gracePeriod: .zero)  // a second call is harmless
        #expect(group.isShuttingDown)
        for loop in group.loops {
            await expectTorusError(.eventLoop, .loopShutDown) { try await loop.run { 1 } }
        }
        let ran = Flag()
        group.next().spawn { ran.set() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!ran.isSet)
    }

    /// The shared group is made once and survives a shutdown request.
    @Test func theSharedGroupIsNeverShutDown() async throws {
        try await withDescriptorGate {  // its loops' descriptors stay open from here on
            let shared = EventLoopGroup.shared
            #expect(shared === EventLoopGroup.shared)
            await shared.shutdownGracefully(gracePeriod: .zero)
            #expect(!shared.isShuttingDown)
            let seven = try await shared.next().run { 7 }
            #expect(seven == 7)
        }
    }
}
