import Foundation
import HTTPTypes
import Testing
import Torus
import TorusHTTP

/// Issue 12.4: a pooled keep-alive connection is reused only when it is known clean, so
/// one request's response never becomes the next one's. Raw servers keep connections
/// open and send what no well-behaved server would: late, extra and unsolicited bytes.
@Suite(.descriptorGate) struct HTTPClientReuseTests {
    /// (a) The response to a request that timed out arrives late: the next request on
    /// the same host gets its own response, never the late one.
    @Test(arguments: TestBackend.allCases)
    func lateResponseAfterTimeoutIsNotTaken(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                if path == "/slow" { try await loop.sleep(for: .milliseconds(1500).scaled) }
                try await connection.write(okResponse(path))
            }) { base, _ in
                var configuration = HTTPClient.Configuration()
                configuration.timeout = .milliseconds(500).scaled
                let client = try HTTPClient(configuration: configuration)
                await #expect(throws: HTTPClientError.timedOut) {
                    _ = try await client.get(URL(string: "\(base)/slow")!)
                }
                try await loop.sleep(for: .milliseconds(1500).scaled)
                for path in ["/fast", "/again"] { #expect(try await client.text(base + path) == path) }
                await client.shutdown()
            }
        }
    }

    /// A request cancelled mid-response closes its connection: the rest of that response
    /// reaches no one, and the next request gets its own on a fresh connection.
    @Test(arguments: TestBackend.allCases)
    func cancelledRequestClosesItsConnection(_ backend: TestBackend) async throws {
        let headSent = Flag()
        try await withTestLoop(backend) { loop in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                guard path == "/slow" else { return try await connection.write(okResponse(path)) }
                try await connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".utf8))
                headSent.set()
                try await loop.sleep(for: .milliseconds(300))
                try await connection.write(Array("/slow".utf8))
            }) { base, accepted in
                let client = try HTTPClient()
                #expect(try await client.text("\(base)/warm") == "/warm")
                let slow = Task(executorPreference: loop) { try await client.text("\(base)/slow") }
                while !headSent.isSet { try await loop.sleep(for: .milliseconds(5)) }
                slow.cancel()
                await #expect(throws: CancellationError.self) { try await slow.value }
                try await loop.sleep(for: .milliseconds(400))
                #expect(try await client.text("\(base)/next") == "/next")
                #expect(accepted.value == 2)
                await client.shutdown()
            }
        }
    }

    /// (a) A response arrives on an idle pooled connection after the one it answered was
    /// read (a duplicate, late answer): the connection is retired, and the next request
    /// gets its own response on a fresh one.
    @Test(arguments: TestBackend.allCases)
    func lateResponseOnIdleConnectionRetiresIt(_ backend: TestBackend) async throws {
        let staleSent = Flag()
        try await withTestLoop(backend) { loop in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                try await connection.write(okResponse(path))
                if path == "/first" {
                    try await loop.sleep(for: .milliseconds(50))
                    try await connection.write(okResponse("stale"))
                    staleSent.set()
                }
            }) { base, accepted in
                let client = try HTTPClient()
                #expect(try await client.text("\(base)/first") == "/first")
                // On loopback a completed write is in the peer's receive queue.
                while !staleSent.isSet { try await loop.sleep(for: .milliseconds(5)) }
                #expect(try await client.text("\(base)/second") == "/second")
                #expect(try await client.text("\(base)/third") == "/third")
                // The dirty connection was retired; the clean one after it was reused.
                #expect(accepted.value == 2)
                await client.shutdown()
            }
        }
    }

    /// (b) Bytes beyond a complete response (a second, unsolicited response in the same
    /// write, more body than Content-Length said, a response split across writes): the
    /// response is returned, the next request never sees the extra bytes.
    @Test(arguments: TestBackend.allCases)
    func extraBytesAfterResponseAreNotSeen(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withRawKeepAliveServer({ connection, head in
                let path = requestPath(head)
                switch path {
                case "/together":
                    try await connection.write(okResponse(path) + okResponse("extra"))
                case "/overlong":
                    try await connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nshort EXTRA".utf8))
                case "/split":
                    try await connection.write(okResponse(path) + Array("HTTP/1.1 200 OK\r\nCont".utf8))
                    try await loop.sleep(for: .milliseconds(50))
                    try await connection.write(Array("ent-Length: 5\r\n\r\nextra".utf8))
                default:
                    try await connection.write(okResponse(path))
                }
            }) { base, _ in
                let client = try HTTPClient()
                // Each case on its own: the body, or the error, as text.
                func text(_ path: String) async -> String {
                    do { return try await client.text(base + path) } catch { return "\(error)" }
                }
                for (path, body) in [("/together", "/together"), ("/overlong", "short"), ("/split", "/split")] {
                    let got = await text(path)
                    #expect(got == body)
                    try await loop.sleep(for: .milliseconds(100))
                    let next = await text("/next")
                    #expect(next == "/next", "after \(path)")
                }
                await client.shutdown()
            }
        }
    }

    /// (c) `Connection: close` from either side, or an HTTP/1.0 response without
    /// keep-alive: the connection is not reused even though the server leaves it open.
    @Test(arguments: TestBackend.allCases)
    func closeRequestedConnectionIsNotReused(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withRawKeepAliveServer({ connection, head in
                switch requestPath(head) {
                case "/close": try await connection.write(okResponse("close", fields: "Connection: close\r\n"))
                case "/http10":
                    try await connection.write(Array("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhttp10".utf8))
                default: try await connection.write(okResponse("keep"))
                }
            }) { base, accepted in
                let client = try HTTPClient()
                var closing = HTTPFields()
                closing[.connection] = "close"
                let requests: [(String, HTTPFields)] = [
                    ("/close", [:]), ("/close", [:]), ("/http10", [:]), ("/http10", [:]),
                    ("/asked", closing), ("/asked", closing),
                ]
                for (path, fields) in requests {
                    let response = try await client.execute(
                        method: .get, url: URL(string: base + path)!, headerFields: fields)
                    #expect(response.status == 200)
                }
                #expect(accepted.value == requests.count)
                // A clean keep-alive exchange is reused: one more connection for two requests.
                for _ in 0..<2 { _ = try await client.get(URL(string: "\(base)/keep")!) }
                #expect(accepted.value == requests.count + 1)
                await client.shutdown()
            }
        }
    }
}

extension HTTPClient {
    /// GETs `url` and returns its body as text.
    fileprivate func text(_ url: String) async throws -> String {
        String(decoding: try await get(URL(string: url)!).body, as: UTF8.self)
    }
}
