import Foundation
import Testing

@testable import Torus

/// The programs that serve stop on SIGTERM while a client stays connected and idle
/// (a keep-alive HTTP client between requests, an echo client between messages), and
/// exit 0 within a few seconds; the client reads end of stream. Before, a server with a
/// task per connection, and HTTPServer, waited for every client to leave, and torus-crawl
/// died of the signal.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct StopOnSignalTests {
    /// `torus-bench serve echo --connection-api task`, `serve http` (a task per
    /// connection) and `serve http --service-lifecycle` (TorusHTTP's server as an
    /// `HTTPServerService` in a swift-service-lifecycle `ServiceGroup`, whose signal
    /// handling stops it) on each reactor.
    @Test(
        arguments: TestBackend.allCases,
        [["echo", "--connection-api", "task"], ["http"], ["http", "--service-lifecycle"]])
    func aBenchServerStopsWithAnIdleClient(_ backend: TestBackend, _ scenario: [String]) async throws {
        try await withDescriptorGate {
            let server = try ServerProcess(
                ["torus-bench", "serve"] + scenario + ["--port", "0", "--backend", backend.optionValue])
            let port = try await server.waitForPort()
            let exchange = scenario[0] == "http" ? Exchange.http : Exchange.echo
            try await expectStopsWithIdleClient(server, port: port, exchange)
        }
    }

    /// `torus-crawl --self-test-site` in the middle of a long crawl, with an idle
    /// keep-alive client of its site connected besides the crawler's own.
    @Test(arguments: TestBackend.allCases)
    func theCrawlerAndItsSiteStopWithAnIdleClient(_ backend: TestBackend) async throws {
        try await withDescriptorGate {
            let crawl = try ServerProcess(
                ["torus-crawl", "--self-test-site", "1000000", "--max-tasks", "1", "--backend", backend.optionValue],
                errorsToOutput: true)
            let line = await crawl.readLine() ?? ""
            let port = line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }
            guard line.contains("self-test site at http://127.0.0.1:"), let port else {
                Issue.record("no site announced: \(line)")
                _ = await crawl.terminate(timeout: .seconds(5))
                return
            }
            try await expectStopsWithIdleClient(crawl, port: port, .http)
        }
    }

    // MARK: Helpers

    /// What the idle client does once before it goes quiet.
    enum Exchange {
        /// One keep-alive GET, answered.
        case http
        /// Five bytes, echoed.
        case echo
    }

    /// Connects a client to `port`, makes one exchange, leaves the connection idle, sends
    /// SIGTERM and expects exit status 0 within 5 seconds (after that the child is
    /// killed: 137) and the client to read end of stream.
    private func expectStopsWithIdleClient(_ child: ServerProcess, port: Int, _ exchange: Exchange) async throws {
        let loop = try TestBackend.ioUring.makeLoop()
        do {
            let client = try await loop.run {
                let client = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!)
                switch exchange {
                case .http:
                    try await client.write(Array("GET /page/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                    let answer = try await client.read(upTo: 65536, timeout: .seconds(10))
                    #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 "))
                case .echo:
                    try await client.write(Array("hello".utf8))
                    #expect(try await client.read(exactly: 5) == Array("hello".utf8))
                }
                return client
            }
            let status = await child.terminate(timeout: .seconds(5))
            let output = await child.readOutput()
            let errors = await child.readErrors()
            #expect(status == 0, "\(output.suffix(400)) \(errors.suffix(400))")
            try await loop.run {
                #expect(try await client.read(upTo: 100, timeout: .seconds(5)).isEmpty)
                try await client.close()
            }
        } catch {
            _ = await child.terminate(timeout: .seconds(5))
            await loop.shutdown()
            throw error
        }
        await loop.shutdown()
    }
}

extension TestBackend {
    /// The value of the programs' `--backend` option for this reactor.
    var optionValue: String {
        switch self {
        case .ioUring: "io_uring"
        case .epoll: "epoll"
        }
    }
}
