import Foundation
import HTTPTypes
import Testing
import Torus
import TorusHTTP

/// TorusHTTP's client against its server and against raw byte-level peers.
@Suite(.descriptorGate) struct HTTPClientTests {
    @Test(arguments: TestBackend.allCases)
    func getOverKeepAlive(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let handler: HTTPServer.Handler = { request, _ in
                HTTPServerResponse(contentType: "text/plain", text: "path \(request.path ?? "")")
            }
            try await withHTTPServer(handler) { base in
                let client = try HTTPClient()
                for index in 0..<5 {
                    let response = try await client.get(URL(string: "\(base)/page\(index)?q=1")!)
                    #expect(response.status == 200)
                    #expect(response.head.headerFields[.contentType] == "text/plain")
                    #expect(String(decoding: response.body, as: UTF8.self) == "path /page\(index)?q=1")
                }
                await client.shutdown()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func postBodyAndHead(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let handler: HTTPServer.Handler = { request, body in
                HTTPServerResponse(contentType: "text/plain", text: "\(request.method.rawValue) \(body.count)")
            }
            try await withHTTPServer(handler) { base in
                let client = try HTTPClient()
                let url = URL(string: "\(base)/")!
                let posted = try await client.execute(
                    method: .post, url: url, body: Array(repeating: 7, count: 100_000))
                #expect(String(decoding: posted.body, as: UTF8.self) == "POST 100000")
                // HEAD: Content-Length says 6, no body follows, and the connection stays usable.
                let head = try await client.execute(method: .head, url: url)
                #expect(head.status == 200 && head.body.isEmpty)
                #expect(head.head.headerFields[.contentLength] == "6")
                let get = try await client.get(url)
                #expect(String(decoding: get.body, as: UTF8.self) == "GET 0")
                await client.shutdown()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func chunkedAndCloseDelimitedBodies(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withRawServer({ connection, path in
                let bytes =
                    path == "/chunked"
                    ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                    : "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"
                try await connection.write(Array(bytes.utf8))
            }) { base in
                let client = try HTTPClient()
                let chunked = try await client.get(URL(string: "\(base)/chunked")!)
                #expect(String(decoding: chunked.body, as: UTF8.self) == "hello world")
                let closed = try await client.get(URL(string: "\(base)/close")!)
                #expect(String(decoding: closed.body, as: UTF8.self) == "until the end")
                await client.shutdown()
            }
        }
    }

    /// A server that closes idle keep-alive connections: the pooled connection is stale,
    /// and the client retries once on a fresh one.
    @Test(arguments: TestBackend.allCases)
    func staleKeepAliveConnectionIsReplaced(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            try await withRawServer({ connection, _ in
                try await connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
            }) { base in
                let client = try HTTPClient()
                for _ in 0..<3 {
                    let response = try await client.get(URL(string: "\(base)/")!)
                    #expect(String(decoding: response.body, as: UTF8.self) == "ok")
                }
                await client.shutdown()
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func httpsIsUnsupported(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let client = try HTTPClient()
            await #expect(throws: HTTPClientError.unsupportedScheme("https")) {
                _ = try await client.get(URL(string: "https://127.0.0.1:1/")!)
            }
        }
    }

    /// Bad responses each fail with their own error, within the timeout, on both reactors.
    @Test(arguments: TestBackend.allCases)
    func badResponses(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withRawServer({ connection, path in
                switch path {
                case "/status": try await connection.write(Array("HTTP/1.1 2x0 OK\r\n\r\n".utf8))
                case "/header": try await connection.write(Array("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n".utf8))
                case "/chunk":
                    try await connection.write(
                        Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n".utf8))
                case "/bigheader":
                    let field = "X-Filler: " + String(repeating: "x", count: 100_000) + "\r\n"
                    try await connection.write(Array("HTTP/1.1 200 OK\r\n\(field)\r\n".utf8))
                case "/truncated":
                    try await connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort".utf8))
                case "/huge":
                    // Claims 1 GB and keeps sending until the client hangs up.
                    try await connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n".utf8))
                    let block = [UInt8](repeating: 0x61, count: 65536)
                    for _ in 0..<16_000 { try await connection.write(block, timeout: .seconds(5)) }
                default:  // accepts and never answers
                    try await loop.sleep(for: .seconds(30))
                }
            }) { base in
                var configuration = HTTPClient.Configuration()
                // Each bad response must fail for its own reason, not the timeout: a margin
                // wide enough for the first request of a loaded ThreadSanitizer run.
                configuration.timeout = .seconds(1).scaled
                configuration.maxBodySize = 1 << 20
                let client = try HTTPClient(configuration: configuration)
                func failure(_ path: String) async -> (any Error)? {
                    do {
                        _ = try await client.get(URL(string: base + path)!)
                        return nil
                    } catch { return error }
                }
                let expected: [(String, String)] = [
                    ("/status", "invalid HTTP status code"), ("/header", "invalid character in header"),
                    ("/chunk", "invalid character in chunk size header"),
                    ("/truncated", "stream ended at an unexpected time"),
                    ("/bigheader", "too many header bytes seen; overflow detected"),
                ]
                for (path, why) in expected {
                    let error = await failure(path)
                    #expect(
                        error as? HTTPClientError == .malformedResponse(why), "\(path): \(String(describing: error))")
                }
                #expect(await failure("/huge") as? HTTPClientError == .bodyTooLarge(limit: 1 << 20))
                let started = ContinuousClock.now
                #expect(await failure("/silent") as? HTTPClientError == .timedOut)
                #expect(ContinuousClock.now - started < .seconds(3).scaled)
                await client.shutdown()
            }
        }
    }

    /// A request's own timeout bounds it, however long the configuration's is.
    @Test(arguments: TestBackend.allCases)
    func aRequestsOwnTimeoutBoundsIt(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { loop in
            try await withRawServer({ _, _ in try await loop.sleep(for: .seconds(30)) }) { base in
                var configuration = HTTPClient.Configuration()
                configuration.timeout = .seconds(60)
                let client = try HTTPClient(configuration: configuration)
                let started = ContinuousClock.now
                await #expect(throws: HTTPClientError.timedOut) {
                    try await client.get(URL(string: base + "/silent")!, timeout: .milliseconds(200))
                }
                let waited = ContinuousClock.now - started
                #expect(waited >= .milliseconds(200) && waited < .seconds(5).scaled)
                await client.shutdown()
            }
        }
    }

    /// `location(relativeTo:)`: the first Location, trimmed, resolved against the
    /// request's URL; nothing for none, an empty one, or one that is not http(s).
    @Test func redirectLocations() {
        let page = URL(string: "http://h/a/c?q")!
        func response(_ locations: [String]) -> HTTPClientResponse {
            var fields = HTTPFields()
            for location in locations { fields.append(HTTPField(name: .location, value: location)) }
            return HTTPClientResponse(head: HTTPResponse(status: .found, headerFields: fields), body: [])
        }
        #expect(response(["../b?x"]).location(relativeTo: page)?.absoluteString == "http://h/b?x")
        #expect(response(["  https://o/p "]).location(relativeTo: page)?.absoluteString == "https://o/p")
        #expect(response(["/first", "/second"]).location(relativeTo: page)?.absoluteString == "http://h/first")
        #expect(response(["ftp://x/"]).location(relativeTo: page) == nil)
        #expect(response([" "]).location(relativeTo: page) == nil)
        #expect(response([]).location(relativeTo: page) == nil)
    }
}
