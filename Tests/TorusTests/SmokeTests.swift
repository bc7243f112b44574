import Testing
@testable import Torus

@Test func smokeNopAndSleep() async throws {
    try await withEventLoop { loop in
        for _ in 0..<10 { try await loop.nop() }
        let start = ContinuousClock.now
        try await loop.sleep(for: .milliseconds(20))
        #expect(ContinuousClock.now - start >= .milliseconds(20))
        let stats = await loop.statistics
        #expect(stats.operationSlotsInUse == 0)
    }
}

@Test func smokeEcho() async throws {
    try await withEventLoop { loop in
        let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
        let server = Task(executorPreference: loop) {
            let connection = try await listener.accept()!
            let bytes = try await connection.read(upTo: 100)
            try await connection.write(bytes)
            try await connection.close()
        }
        let client = try await TCPConnection.connect(to: listener.localAddress)
        try await client.write(Array("hello".utf8))
        let reply = try await client.read(upTo: 100)
        #expect(reply == Array("hello".utf8))
        try await server.value
        try await client.close()
        try await listener.close()
        let stats = await loop.statistics
        #expect(stats.operationSlotsInUse == 0)
        #expect(stats.descriptorsOwned == 0)
    }
}
