import Foundation
import Testing
import Torus
import TorusHTTP

/// `HTTPClient.Configuration.maxConnections`: idle connections count against the cap and
/// make room for another host; requests beyond it wait for a connection, never fail.
@Suite(.descriptorGate) struct HTTPClientConnectionCapTests {
    /// Under a cap of one, a request to host B closes A's idle connection (the server
    /// sees it end), and the next request to A opens a new one.
    @Test(arguments: TestBackend.allCases)
    func anIdleConnectionMakesRoomForAnotherHost(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withRawKeepAliveServer({ connection, head in
                try await connection.write(okResponse("A" + requestPath(head)))
            }) { baseA, acceptedA in
                try await withRawKeepAliveServer({ connection, head in
                    try await connection.write(okResponse("B" + requestPath(head)))
                }) { baseB, acceptedB in
                    let client = try HTTPClient(configuration: capped(1))
                    #expect(try await client.text(baseA + "/1") == "A/1")
                    #expect(try await client.text(baseA + "/2") == "A/2")
                    #expect(acceptedA.value == 1)
                    #expect(try await client.text(baseB + "/1") == "B/1")
                    #expect(try await client.text(baseA + "/3") == "A/3")
                    #expect((acceptedA.value, acceptedB.value) == (2, 1))
                    await client.shutdown()
                }
            }
        }
    }

    /// Six requests at once under a cap of two: the server never has more than two in
    /// hand, and each request gets its own answer.
    @Test(arguments: TestBackend.allCases)
    func requestsBeyondTheCapWaitAndSucceed(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let busy = LoopConfined((now: 0, most: 0), on: loop)
            try await withRawKeepAliveServer({ connection, head in
                busy.value.now += 1
                busy.value.most = max(busy.value.most, busy.value.now)
                try await loop.sleep(for: .milliseconds(30))
                busy.value.now -= 1
                try await connection.write(okResponse(requestPath(head)))
            }) { base, _ in
                let client = try HTTPClient(configuration: capped(2))
                let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<6 { group.addTask { try await client.text("\(base)/\(index)") } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(bodies.sorted() == (0..<6).map { "/\($0)" })
                #expect(busy.value.most == 2)
                await client.shutdown()
            }
        }
    }

    /// A request cancelled while it waits for a connection leaves the count as it was:
    /// once the slow request is done, the next one gets the connection.
    @Test(arguments: TestBackend.allCases)
    func aRequestCancelledWhileWaitingTakesNoConnection(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                if path == "/slow" { try await loop.sleep(for: .milliseconds(200)) }
                try await connection.write(okResponse(path))
            }) { base, _ in
                let client = try HTTPClient(configuration: capped(1))
                let slow = Task(executorPreference: loop) { try await client.text(base + "/slow") }
                try await loop.sleep(for: .milliseconds(50))
                let waiting = Task(executorPreference: loop) { try await client.text(base + "/waiting") }
                try await loop.sleep(for: .milliseconds(50))
                waiting.cancel()
                await #expect(throws: CancellationError.self) { try await waiting.value }
                #expect(try await slow.value == "/slow")
                #expect(try await client.text(base + "/next") == "/next")
                await client.shutdown()
            }
        }
    }

    /// A cap below one would wait forever: it is refused.
    @Test(arguments: TestBackend.allCases)
    func aCapBelowOneIsRefused(_ backend: TestBackend) async throws {
        _ = try await withTestLoop(backend) { _ in
            #expect(throws: TorusError.self) { _ = try HTTPClient(configuration: capped(0)) }
        }
    }
}

/// The default client configuration with at most `maxConnections` connections.
private func capped(_ maxConnections: Int) -> HTTPClient.Configuration {
    var configuration = HTTPClient.Configuration()
    configuration.maxConnections = maxConnections
    return configuration
}

extension HTTPClient {
    /// The body of a GET of `url`, as UTF-8.
    fileprivate func text(_ url: String) async throws -> String {
        String(decoding: try await get(URL(string: url)!).body, as: UTF8.self)
    }
}
