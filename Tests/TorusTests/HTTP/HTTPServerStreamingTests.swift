import Foundation
import HTTPTypes
import SystemPackage
import Testing
import TorusHTTP

@testable import Torus

/// `HTTPServer` streaming both ways, both reactors: an upload read chunk by chunk by a
/// handler that hashes it, a file and a produced stream sent back, with flat memory
/// (the process's resident set grows by at most 16 MiB for a body many times that);
/// chunked and close-delimited bodies; unread bodies skipped or the connection closed;
/// a route's own body limit. The two large streams run alone (the descriptor gate held
/// exclusively), so that no other test's memory counts in the resident set.
@Suite(.descriptorGate, .timeLimit(.minutes(2 * testTimeScale)))
struct HTTPServerStreamingTests {
    /// Bytes streamed each way: 64 MiB, four times the growth allowed
    /// (`TORUS_STREAM_MIB=1024 swift test --filter HTTPServerStreamingTests` for 1 GiB).
    static let streamBytes = (ProcessInfo.processInfo.environment["TORUS_STREAM_MIB"].flatMap { Int($0) } ?? 64) << 20

    /// The upload's bytes, in order, come from this repeating 64 KiB pattern.
    static let pattern = randomBytes(64 * 1024, seed: 7)

    @Test(arguments: TestBackend.allCases)
    func aLargeUploadIsHashedAsItArrivesWithFlatMemory(_ backend: TestBackend) async throws {
        try await withTestLoop(backend, access: .exclusive) { _ in
            let server: HTTPServer.StreamingHandler = { _, body in
                var hash = Checksum()
                var body = body
                body.limit = .max  // this route takes any size
                for try await chunk in body { hash.add(chunk) }
                return HTTPServerResponse(contentType: "text/plain", text: "\(hash.value) \(hash.count)")
            }
            try await withStreamingHTTPServer(server) { port in
                let before = residentBytes()
                let connection = try await connect(port: port)
                try await connection.write(
                    Array("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: \(Self.streamBytes)\r\n\r\n".utf8))
                var expected = Checksum()
                let pattern = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pattern.count, alignment: 16)
                defer { pattern.deallocate() }
                pattern.copyBytes(from: Self.pattern)
                for _ in 0..<(Self.streamBytes / pattern.count) {
                    try await connection.write(UnsafeRawBufferPointer(pattern))
                    expected.add(UnsafeRawBufferPointer(pattern))
                }
                let response = try await readHTTPResponse(connection)
                let grown = residentBytes() - before
                try await connection.close()
                #expect(response.hasSuffix("\r\n\r\n\(expected.value) \(Self.streamBytes)"), "\(response)")
                #expect(grown <= 16 << 20, "resident set grew by \(grown >> 20) MiB for \(Self.streamBytes >> 20) MiB")
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aLargeFileIsSentWithFlatMemory(_ backend: TestBackend) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("large")
        try await withTestLoop(backend, access: .exclusive) { _ in
            // Written through the loop, not with blocking writes on Swift's two-thread
            // pool: two cases writing at once stalled every other test's pool work for
            // seconds on a slow disk (a shutdown test and a service test timed out in CI).
            let file = try await File.open(path, .writeOnly, options: [.create])
            for block in 0..<(Self.streamBytes / Self.pattern.count) {
                try await file.write(Self.pattern, at: Int64(block * Self.pattern.count))
            }
            try await file.close()
            let server: HTTPServer.StreamingHandler = { request, _ in
                HTTPServerResponse(
                    headerFields: [.contentType: "application/octet-stream"],
                    content: .file(path, offset: request.path == "/tail" ? Int64(Self.streamBytes - 10) : 0))
            }
            try await withStreamingHTTPServer(server) { port in
                let before = residentBytes()
                let connection = try await connect(port: port)
                try await connection.write(Array("GET /all HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
                let (head, hash) = try await readLargeResponse(connection)
                let grown = residentBytes() - before
                var expected = Checksum()
                for _ in 0..<(Self.streamBytes / Self.pattern.count) { expected.add(Self.pattern) }
                #expect(head.contains("Content-Length: \(Self.streamBytes)\r\n"))
                #expect(hash == expected)
                #expect(grown <= 16 << 20, "resident set grew by \(grown >> 20) MiB for \(Self.streamBytes >> 20) MiB")
                // A range of it, and HEAD: the length without the body.
                try await connection.write(Array("GET /tail HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
                #expect(
                    try await readHTTPResponse(connection).hasSuffix(
                        String(decoding: Self.pattern.suffix(10), as: UTF8.self)))
                try await connection.write(Array("HEAD /all HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8))
                let headOnly = String(decoding: try await readToEnd(connection), as: UTF8.self)
                #expect(headOnly.contains("Content-Length: \(Self.streamBytes)\r\n") && headOnly.hasSuffix("\r\n\r\n"))
                try await connection.close()
            }
        }
    }

    /// A produced body without a length goes chunked on HTTP/1.1 and close-delimited on
    /// HTTP/1.0; with a length, as is; one that breaks its declared length ends the
    /// connection rather than desynchronising it.
    @Test(arguments: TestBackend.allCases)
    func producedBodies(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let server: HTTPServer.StreamingHandler = { request, _ in
                let declared: Int? = request.path == "/sized" ? 6 : request.path == "/liar" ? 100 : nil
                return HTTPServerResponse(
                    content: .stream(length: declared) { writer in
                        try await writer.write(Array("abc".utf8))
                        try await writer.write(Array("def".utf8))
                    })
            }
            try await withStreamingHTTPServer(server) { port in
                let chunked = try await exchange(
                    Array("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8), port: port)
                #expect(chunked.contains("Transfer-Encoding: chunked\r\n"))
                #expect(chunked.hasSuffix("\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"), "\(chunked)")
                let old = try await exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8), port: port)
                #expect(
                    !old.contains("Transfer-Encoding") && old.hasSuffix("Connection: close\r\n\r\nabcdef"), "\(old)")
                let sized = try await exchange(
                    Array("GET /sized HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8), port: port)
                #expect(sized.contains("Content-Length: 6\r\n") && sized.hasSuffix("\r\n\r\nabcdef"))
                let liar = try await exchange(Array("GET /liar HTTP/1.1\r\nHost: h\r\n\r\n".utf8), port: port)
                #expect(liar.contains("Content-Length: 100\r\n") && liar.hasSuffix("abcdef"))
            }
        }
    }

    /// A body the handler does not read is skipped and the connection kept; past
    /// `maxBodySize` the connection closes after the answer; a route's own limit is 413.
    @Test(arguments: TestBackend.allCases)
    func unreadBodiesAndRouteLimits(_ backend: TestBackend) async throws {
        try await withTestLoop(backend) { _ in
            let server: HTTPServer.StreamingHandler = { request, body in
                if request.path == "/small" { _ = try await body.collect(upTo: 4) }
                return HTTPServerResponse(contentType: "text/plain", text: "ok")
            }
            try await withStreamingHTTPServer(server, configure: { $0.maxBodySize = 1000 }) { port in
                let connection = try await connect(port: port)
                let body = String(repeating: "x", count: 500)
                try await connection.write(
                    Array("POST /ignore HTTP/1.1\r\nHost: h\r\nContent-Length: 500\r\n\r\n\(body)".utf8))
                #expect(try await readHTTPResponse(connection).hasSuffix("ok"))
                try await connection.write(Array("GET /again HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
                #expect(try await readHTTPResponse(connection).hasSuffix("ok"))
                try await connection.close()
                let large = String(repeating: "x", count: 5000)
                let closed = try await exchange(
                    Array("POST /ignore HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n\(large)".utf8), port: port,
                    halfClosing: true)
                #expect(closed.contains("Connection: close\r\n") && closed.hasSuffix("ok"))
                let refused = try await exchange(
                    Array("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello".utf8), port: port)
                #expect(refused == "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            }
        }
    }
}

/// A streaming server on 127.0.0.1 for `body` (which gets its port), cancelled after.
private func withStreamingHTTPServer<Result: Sendable>(
    _ handler: @escaping HTTPServer.StreamingHandler, configure: (inout HTTPServer) -> Void = { _ in },
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result {
    let listener = try TCPListener.bind(to: SocketAddress(ip: "127.0.0.1", port: 0)!)
    var server = HTTPServer.streaming(listener: listener, handler: handler)
    configure(&server)
    let configured = server
    let port = listener.localAddress.port
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await configured.serve() }
        defer { group.cancelAll() }
        return try await body(port)
    }
}

/// A 64-bit sum of the bytes, weighted by position mod 251: cheap, order-sensitive.
private struct Checksum: Equatable {
    var value: UInt64 = 0
    var count = 0

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value &+= UInt64(byte) &* UInt64(count % 251 + 1)
            count += 1
        }
    }

    mutating func add(_ bytes: [UInt8]) { bytes.withUnsafeBytes { add($0) } }
}

/// Reads a response head, then its Content-Length body through one reused buffer,
/// checksumming it.
private func readLargeResponse(_ connection: TCPConnection) async throws -> (String, Checksum) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    var head: [UInt8] = []
    var checksum = Checksum()
    var length: Int?
    while length.map({ checksum.count < $0 }) ?? true {
        let count = try await connection.read(into: buffer, timeout: .seconds(30))
        guard count > 0 else { break }
        var bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        if length == nil {
            head += bytes
            guard let end = String(decoding: head, as: UTF8.self).range(of: "\r\n\r\n") else { continue }
            let text = String(decoding: head, as: UTF8.self)
            let headText = String(text[..<end.upperBound])
            let bodyStart = headText.utf8.count
            length =
                headText.components(separatedBy: "\r\n").first { $0.hasPrefix("Content-Length: ") }
                .flatMap { Int($0.dropFirst(16)) } ?? 0
            checksum.add(Array(head[bodyStart...]))
            head = Array(head[..<bodyStart])
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        checksum.add(bytes)
    }
    return (String(decoding: head, as: UTF8.self), checksum)
}

/// The process's resident set, in bytes (/proc/self/statm).
private func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
