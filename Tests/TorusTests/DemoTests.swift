import Synchronization
import Testing
import TorusDemo

@testable import Torus

/// The talk's demo with a fast server: the three clients receive the same bytes.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct DemoTests {
    @Test(arguments: TestBackend.allCases)
    func theThreeClientsFetchIdenticalBytes(_ backend: TestBackend) async throws {
        var fastServer = SlowServer()
        fastServer.chunkInterval = .microseconds(500)
        let server = fastServer
        let reported = Recorder()
        let received = try await withTestLoop(backend) { loop in
            try await runDemo(on: loop, server: server) { reported.append($0) }
        }
        let blocking = try #require(received[.blocking])
        #expect(blocking.map(\.path) == ["/foo", "/bar"])
        for response in blocking {
            let expected =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                + server.body(of: response.path)
            #expect(String(decoding: response.bytes, as: UTF8.self) == expected)
        }
        #expect(received[.callbacks] == blocking)
        #expect(received[.asyncAwait] == blocking)
        let lines = reported.lines
        for client in Client.allCases {
            #expect(lines.contains("\(client.rawValue): /foo: HTTP/1.1 200 OK, \(blocking[0].bytes.count) bytes"))
            #expect(lines.contains { $0.hasPrefix("\(client.rawValue): took ") && $0.hasSuffix(" seconds") })
        }
    }

    @Test(arguments: TestBackend.allCases)
    func anUnknownPathIsNotFound(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let listener = try TCPListener.bind(to: .loopbackV4)
            async let serving: Void = SlowServer().serve(listener)
            let connection = try await TCPConnection.connect(to: listener.localAddress)
            try await connection.write(Array("GET /baz HTTP/1.1\r\n\r\n".utf8))
            var response: [UInt8] = []
            while case let chunk = try await connection.read(upTo: 1024), !chunk.isEmpty { response += chunk }
            #expect(String(decoding: response, as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n")
            try await connection.close()
            try await listener.close()
            try await serving
        }
    }
}
