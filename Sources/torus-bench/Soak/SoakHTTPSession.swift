import Torus

/// An HTTP/1.1 keep-alive soak client: each request is `GET /plaintext`, and its answer
/// must be a `200` whose body is exactly ``plaintextBody``, with nothing after it (no
/// pipelining, so nothing may follow).
final class SoakHTTPSession: SoakSession {
    private static let body = Array(plaintextBody.utf8)
    /// As many requests as fit in ``burstSize`` bytes, back to back (pipelined).
    private static let burst = Array(
        repeatElement(HTTPSession.request, count: burstSize / HTTPSession.request.count).joined())
    /// Far more than the answer needs: a longer one is wrong.
    private let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

    deinit { reply.deallocate() }

    func sendRequest(over connection: TCPConnection, timeout: Duration) async throws {
        try await connection.write(HTTPSession.request, timeout: timeout)
    }

    func sendBurst(over connection: TCPConnection, timeout: Duration) async throws {
        try await connection.write(Self.burst, timeout: timeout)
    }

    func receiveAnswer(over connection: TCPConnection) async throws {
        var received = 0
        var head: HTTPHead?
        while received < (head.map { $0.length + $0.contentLength } ?? reply.count) {
            let into = UnsafeMutableRawBufferPointer(rebasing: reply[received...])
            let count = try await connection.read(into: into, timeout: operationTimeout)
            if count == 0 {
                throw SoakError.closedEarly(
                    received: received, expected: head.map { $0.length + $0.contentLength } ?? 0)
            }
            received += count
            if head == nil {
                switch HTTPHead.parse(UnsafeRawBufferPointer(rebasing: reply[..<received])) {
                case .incomplete: continue
                case .malformed: throw SoakError.badResponse("not HTTP/1.x 200")
                case .complete(let complete):
                    guard complete.length + complete.contentLength <= reply.count else {
                        throw SoakError.badResponse("an answer of \(complete.length + complete.contentLength) bytes")
                    }
                    head = complete
                }
            }
        }
        guard let head else { throw SoakError.badResponse("no blank line in \(reply.count) bytes") }
        guard received == head.length + head.contentLength else {
            throw SoakError.badResponse("\(received - head.length - head.contentLength) bytes after the body")
        }
        guard head.contentLength == Self.body.count,
            Self.body.indices.allSatisfy({ reply[head.length + $0] == Self.body[$0] })
        else { throw SoakError.badResponse("body is not \(plaintextBody)") }
    }
}
