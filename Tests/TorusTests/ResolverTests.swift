import Dispatch
import Synchronization
import Testing

@testable import Torus

/// Name lookups cannot be interrupted, so a waiting caller must not be held by one:
/// cancellation and timeouts end the wait at once, and the late answer is dropped.
@Suite(.descriptorGate) struct ResolverTests {
    /// A lookup that blocks its worker thread until released, as a dead DNS server would.
    final class StuckLookUp: Sendable {
        let release = DispatchSemaphore(value: 0)
        let started = Atomic<Int>(0)

        var lookUp: Resolver.LookUp {
            { host, port in
                self.started.add(1, ordering: .relaxed)
                self.release.wait()
                return [SocketAddress(ip: "127.0.0.1", port: port)!]
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func timeoutEndsAStuckLookUp(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let stuck = StuckLookUp()
            await expectTorusError(.withTimeout, .timedOut) {
                try await withTimeout(.milliseconds(50)) {
                    try await Resolver.resolve(host: "dead.example", port: 80, lookUp: stuck.lookUp)
                }
            }
            // The worker may start the look-up only after the timeout, on a busy machine.
            var waited = 0
            while stuck.started.load(ordering: .relaxed) == 0 && waited < 5000 {
                try await loop.sleep(for: .milliseconds(1))
                waited += 1
            }
            #expect(stuck.started.load(ordering: .relaxed) == 1)
            stuck.release.signal()  // The worker's late answer goes nowhere.
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func cancellationEndsAStuckLookUp(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let stuck = StuckLookUp()
            let lookup = Task {
                try await Resolver.resolve(host: "dead.example", port: 80, lookUp: stuck.lookUp)
            }
            while stuck.started.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(1)) }
            lookup.cancel()
            await #expect(throws: CancellationError.self) { try await lookup.value }
            stuck.release.signal()
        }
    }

    @Test(arguments: TestBackend.allCases)
    func answersArriveAndNumericHostsSkipTheLookUp(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let stuck = StuckLookUp()
            stuck.release.signal()
            let answered = try await Resolver.resolve(host: "a.example", port: 8080, lookUp: stuck.lookUp)
            #expect(answered == [SocketAddress(ip: "127.0.0.1", port: 8080)!])
            let numeric = try await Resolver.resolve(host: "::1", port: 7, lookUp: stuck.lookUp)
            #expect(numeric == [SocketAddress(ip: "::1", port: 7)!])
            #expect(stuck.started.load(ordering: .relaxed) == 1)
            await expectTorusError(.resolve, .invalidArgument("port 70000 is outside 0...65535")) {
                try await Resolver.resolve(host: "a.example", port: 70000, lookUp: stuck.lookUp)
            }
        }
    }
}
