import HTTPTypes
import NIOCore
import NIOHTTP1
import Torus

/// One keep-alive connection to a host:port: sends a request, reads its response.
///
/// Used only on its loop's thread (see ``HTTPCodec``).
final class HTTPClientConnection {
    /// "host:port", the pool's key.
    let key: String
    private let connection: TCPConnection
    private let codec: HTTPCodec<HTTPClientResponsePart, HTTPClientRequestPart>
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Connects to `host`:`port` (pooled under `key`) before `deadline`.
    init(key: String, host: String, port: Int, deadline: ContinuousClock.Instant, maxHeaderSize: Int) async throws {
        self.key = key
        codec = try HTTPCodec(maxHeaderSize: maxHeaderSize)
        connection = try await mapTimeout {
            try await TCPConnection.connect(host: host, port: port, timeout: try remaining(until: deadline))
        }
    }

    deinit { buffer.deallocate() }

    /// Sends `head` and `body`, then reads the response, its body at most `maxBodySize`
    /// bytes; returns it and whether the connection may carry another request.
    func exchange(
        _ head: HTTPRequestHead, body: [UInt8], deadline: ContinuousClock.Instant, maxBodySize: Int
    ) async throws -> (response: HTTPClientResponse, keepAlive: Bool) {
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        let request = try codec.encode(parts)
        try await mapTimeout { try await connection.write(request, timeout: try remaining(until: deadline)) }

        var responseHead: HTTPResponseHead?
        var responseBody: [UInt8] = []
        while true {
            let count = try await mapTimeout {
                try await connection.read(into: buffer, timeout: try remaining(until: deadline))
            }
            let decoded: [HTTPClientResponsePart]
            do {
                decoded =
                    count == 0
                    ? try codec.endOfStream() : try codec.decode(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            } catch let error as HTTPParserError {
                throw HTTPClientError.malformedResponse("\(error)")
            }
            for part in decoded {
                switch part {
                case .head(let head):
                    responseHead = head
                case .body(let bytes):
                    guard responseBody.count + bytes.readableBytes <= maxBodySize else {
                        throw HTTPClientError.bodyTooLarge(limit: maxBodySize)
                    }
                    responseBody += bytes.readableBytesView
                case .end:
                    guard let responseHead else { throw HTTPClientError.malformedResponse("no status line") }
                    let response = HTTPClientResponse(head: HTTPResponse(responseHead), body: responseBody)
                    return (response, count > 0 && responseHead.isKeepAlive)
                }
            }
            if count == 0 { throw HTTPClientError.connectionClosedEarly }
        }
    }

    /// Closes the socket.
    func close() async {
        try? await connection.close()
    }
}

/// The time left until `deadline`.
/// - Throws: ``HTTPClientError/timedOut`` when none is left.
func remaining(until deadline: ContinuousClock.Instant) throws -> Duration {
    let left = deadline - .now
    guard left > .zero else { throw HTTPClientError.timedOut }
    return left
}

/// Runs `body`, turning a Torus per-call timeout (set from the request's deadline) into
/// ``HTTPClientError/timedOut``.
private func mapTimeout<Value>(_ body: () async throws -> Value) async throws -> Value {
    do {
        return try await body()
    } catch let error as TorusError where error.reason == .timedOut {
        throw HTTPClientError.timedOut
    }
}
