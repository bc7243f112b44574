import Foundation
import Logging
import HTTPTypes
import Synchronization
import Testing
import TorusHTTP

@testable import Torus

/// `HTTPServer` on the wire (RFC 9112), both reactors: pipelined requests answered in
/// order, refusals with their status and a close (smuggling attempts among them),
/// `Expect: 100-continue`, HEAD, HTTP/1.0, and the head and idle timeouts, a slowloris
/// client closed while another is served.
@Suite(.descriptorGate, .timeLimit(.minutes(testTimeScale)))
struct HTTPServerProtocolTests {
    /// Answers `/echo/<text>` with the text, and a POST with its body's size.
    private static let handler: HTTPServer.Handler = { request, body in
        let path = request.path ?? ""
        if request.method == .post { return HTTPServerResponse(contentType: "text/plain", text: "got \(body.count)") }
        return HTTPServerResponse(contentType: "text/plain", text: String(path.dropFirst("/echo/".count)))
    }

    /// 100 requests in one write, then a POST: 101 answers in order, byte-exact, on the
    /// one connection.
    @Test(arguments: TestBackend.allCases)
    func pipelinedRequestsAreAnsweredInOrder(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withHTTPServer(Self.handler) { base in
                let requests =
                    (0..<100).map { "GET /echo/\($0) HTTP/1.1\r\nHost: h\r\n\r\n" }.joined()
                    + "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
                let response = try await exchange(Array(requests.utf8), port: port(of: base))
                let bodies = response.components(separatedBy: "\r\n\r\n").dropFirst().map {
                    $0.components(separatedBy: "HTTP/1.1 ").first ?? ""
                }
                #expect(bodies == (0..<100).map { "\($0)" } + ["got 5"])
                #expect(response.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 102)
                #expect(response.hasSuffix("Connection: close\r\n\r\ngot 5"), "\(response.suffix(200))")
            }
        }
    }

    /// Each bad request gets its status, `Connection: close`, and the close; the handler
    /// never sees it. Smuggling attempts (two lengths, a length and chunked, chunked
    /// after another coding, a length with a list) are among them.
    @Test(arguments: TestBackend.allCases)
    func badRequestsGetTheirStatusAndAClose(_ backend: TestBackend) async throws {
        let cases: [(String, String)] = [
            ("GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),
            ("GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", "400 Bad Request"),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "400 Bad Request"),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", "400 Bad Request"),
            (
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "400 Bad Request"
            ),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501 Not Implemented"),
            ("GET / HTTP/1.1\r\nHost: h\r\n folded: no\r\n\r\n", "400 Bad Request"),
            ("GET / HTTP/1.1\nHost: h\n\n", "400 Bad Request"),
            ("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", "501 Not Implemented"),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", "505 HTTP Version Not Supported"),
            ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: h\r\n\r\n", "414 URI Too Long"),
            (
                "GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "v", count: 20000))\r\n\r\n",
                "431 Request Header Fields Too Large"
            ),
            ("\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}", "400 Bad Request"),  // a TLS ClientHello's start
        ]
        try await withTestLoop(backend) { loop in
            let handled = Atomic<Int>(0)
            try await withHTTPServer({ _, _ in
                handled.add(1, ordering: .relaxed)
                return HTTPServerResponse(contentType: "text/plain", text: "no")
            }) { base in
                for (request, status) in cases {
                    let response = try await exchange(Array(request.utf8), port: port(of: base))
                    #expect(
                        response == "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        "\(request.prefix(60).debugDescription)")
                }
            }
            #expect(handled.load(ordering: .relaxed) == 0)
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }

    /// `Expect: 100-continue` gets a 100 before the body is sent, then the answer; HEAD
    /// gets the GET's length and no body; HTTP/1.0 is answered and closed.
    @Test(arguments: TestBackend.allCases)
    func continueHeadAndHTTP10(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withHTTPServer(Self.handler) { base in
                let connection = try await connect(port: port(of: base))
                try await connection.write(
                    Array("POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
                let interim = try await connection.read(upTo: 100, timeout: .seconds(10))
                #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
                try await connection.write(Array("abc".utf8))
                #expect(try await readHTTPResponse(connection).hasSuffix("got 3"))
                try await connection.close()
                let head = try await exchange(
                    Array("HEAD /echo/hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8),
                    port: port(of: base))
                #expect(head.contains("Content-Length: 5\r\n"))
                #expect(head.hasSuffix("\r\n\r\n"))
                let old = try await exchange(Array("GET /echo/old HTTP/1.0\r\n\r\n".utf8), port: port(of: base))
                #expect(
                    old.hasPrefix("HTTP/1.1 200 OK\r\n") && old.contains("Connection: close\r\n")
                        && old.hasSuffix("old"))
                #expect(old.contains("\r\nDate: ") && old.contains(" GMT\r\n"))
            }
        }
    }

    /// A client that sends its head a byte at a time (slowloris) gets 408 and a close at
    /// the head timeout, however steadily it sends, while another client is answered at
    /// once; an idle keep-alive connection is closed quietly at the idle timeout.
    @Test(arguments: TestBackend.allCases)
    func slowHeadsAndIdleConnectionsAreClosedAtTheirTimeouts(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withHTTPServer(
                Self.handler,
                configure: {
                    $0.headTimeout = .milliseconds(300).scaled
                    $0.idleTimeout = .milliseconds(300).scaled
                }
            ) { base in
                let slow = try await connect(port: port(of: base))
                let started = ContinuousClock.now
                let dripping = Task(executorPreference: loop) {
                    for byte in Array("GET /echo/slow HTTP/1.1\r\nHost: h\r\nX: ".utf8)
                        + Array(repeating: 120, count: 1000)
                    {
                        try await slow.write([byte])
                        try await loop.sleep(for: .milliseconds(20))
                    }
                }
                let quick = try await exchange(
                    Array("GET /echo/quick HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8), port: port(of: base)
                )
                #expect(quick.hasSuffix("quick"))
                var answer: [UInt8] = []
                while true {
                    let chunk = try await slow.read(upTo: 4096, timeout: .seconds(10))
                    if chunk.isEmpty { break }
                    answer += chunk
                }
                let waited = ContinuousClock.now - started
                dripping.cancel()
                _ = await dripping.result
                #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
                #expect(waited >= .milliseconds(300).scaled && waited < .seconds(5).scaled)
                try await slow.close()

                let idle = try await connect(port: port(of: base))
                try await idle.write(Array("GET /echo/a HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
                #expect(try await readHTTPResponse(idle).hasSuffix("a"))
                #expect(try await idle.read(upTo: 100, timeout: .seconds(5).scaled).isEmpty)
                try await idle.close()
            }
        }
    }

    /// At `maxConnections` the server stops accepting: a third client's request waits in
    /// the listen backlog, unanswered, until one of two kept-alive clients leaves; then it
    /// is answered.
    @Test(arguments: TestBackend.allCases)
    func acceptingPausesAtTheConnectionLimit(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withHTTPServer(Self.handler, configure: { $0.maxConnections = 2 }) { base in
                var kept: [TCPConnection] = []
                for name in ["a", "b"] {
                    let connection = try await connect(port: port(of: base))
                    try await connection.write(Array("GET /echo/\(name) HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
                    #expect(try await readHTTPResponse(connection).hasSuffix(name))
                    kept.append(connection)
                }
                let third = try await connect(port: port(of: base))
                try await third.write(Array("GET /echo/c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8))
                await #expect(throws: TorusError.self) { try await third.read(upTo: 100, timeout: .milliseconds(300)) }
                try await kept.removeFirst().close()
                #expect(try await readHTTPResponse(third).hasSuffix("c"))
                try await third.close()
                try await kept.removeFirst().close()
            }
        }
    }

    /// An absolute-form target gives the handler its scheme, authority (over Host) and
    /// path; an origin-form one the path and the Host.
    @Test(arguments: TestBackend.allCases)
    func targetsInAbsoluteAndOriginForm(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let describe: HTTPServer.Handler = { request, _ in
                HTTPServerResponse(
                    contentType: "text/plain",
                    text: "\(request.scheme ?? "-") \(request.authority ?? "-") \(request.path ?? "-")")
            }
            try await withHTTPServer(describe) { base in
                for (target, expected) in [
                    ("http://example.com:8080/a?b", "http example.com:8080 /a?b"),
                    ("http://example.com?q", "http example.com /?q"),
                    ("/p?q=1", "- h /p?q=1"),
                ] {
                    let request = "GET \(target) HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
                    let response = try await exchange(Array(request.utf8), port: port(of: base))
                    #expect(response.hasSuffix("\r\n\r\n" + expected), "\(response)")
                }
            }
        }
    }

    /// Each limit hit is logged once at debug level: a refused request with its status,
    /// a connection closed at its idle timeout.
    @Test(arguments: TestBackend.allCases)
    func limitHitsAreLoggedOnceAtDebugLevel(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            let records = LogRecords()
            try await withHTTPServer(
                Self.handler,
                configure: {
                    $0.logger = Logger(label: "test.http") { _ in CapturingLogHandler(records: records) }
                    $0.logger.logLevel = .debug
                    $0.idleTimeout = .milliseconds(200).scaled
                }
            ) { base in
                let refused = try await exchange(
                    Array("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n".utf8), port: port(of: base))
                #expect(refused.hasPrefix("HTTP/1.1 501 "))
                let idle = try await connect(port: port(of: base))
                #expect(try await idle.read(upTo: 100, timeout: .seconds(5).scaled).isEmpty)
                try await idle.close()
                for _ in 0..<1000 where records.all.count < 2 { try await loop.sleep(for: .milliseconds(5)) }
            }
            let logged = records.all
            #expect(logged.map(\.message) == ["refused a request", "closed a connection at its timeout"])
            #expect(logged.allSatisfy { $0.level == .debug })
            #expect(logged.first?.metadata["status"] == "501")
            #expect(logged.last?.metadata["waiting for"] == "a request")
        }
    }
}
