import Torus

/// One HTTP/1.1 keep-alive client: sends `GET /plaintext` and reads the whole response
/// (head up to the blank line, then `Content-Length` body bytes) before the next, as
/// the TechEmpower plaintext test does without pipelining.
final class HTTPSession: LoadSession {
    /// The request every client sends, in memory of its own: writing a raw buffer goes
    /// straight to the socket, where a `[UInt8]` would be copied on every request.
    // nonisolated(unsafe): written once here and only ever read afterwards.
    nonisolated(unsafe) static let request: UnsafeRawBufferPointer = {
        let bytes = Array("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return UnsafeRawBufferPointer(buffer)
    }()

    /// The response, read into one buffer allocated once.
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    deinit { reply.deallocate() }

    func exchange(over client: TCPConnection) async throws {
        try await client.write(Self.request)
        var received = 0
        var responseLength: Int?
        while received < responseLength ?? Int.max {
            guard received < reply.count else { throw LoadError.badResponse }
            let count = try await client.read(into: UnsafeMutableRawBufferPointer(rebasing: reply[received...]))
            if count == 0 { throw LoadError.closedEarly }
            received += count
            if responseLength == nil {
                switch HTTPHead.parse(UnsafeRawBufferPointer(rebasing: reply[..<received])) {
                case .incomplete: continue
                case .malformed: throw LoadError.badResponse
                case .complete(let head): responseLength = head.length + head.contentLength
                }
            }
        }
        // Without pipelining nothing may follow the response.
        guard received == responseLength else { throw LoadError.badResponse }
    }
}
