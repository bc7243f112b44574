import NIOHTTP1
import Torus

/// One keep-alive connection to a host:port: sends a request, reads its response.
///
/// Each exchange gets a fresh codec, so nothing one response left in the parser can reach
/// the next. The connection may carry another request only when ``exchange(_:body:deadline:maxBodySize:)``
/// says it is reusable, and, after idling in the pool, ``isClean()`` still holds.
///
/// Used only on its loop's thread (see ``HTTPCodec``).
final class HTTPClientConnection {
    /// "host:port", the pool's key.
    let key: String
    private let connection: TCPConnection
    private let maxHeaderSize: Int

    /// Connects to `host`:`port` (pooled under `key`) before `deadline`.
    init(key: String, host: String, port: Int, deadline: ContinuousClock.Instant, maxHeaderSize: Int) async throws {
        self.key = key
        self.maxHeaderSize = maxHeaderSize
        connection = try await mapTimeout {
            try await TCPConnection.connect(host: host, port: port, timeout: try remaining(until: deadline))
        }
    }

    /// Sends `head` and `body`, then reads the response, its body at most `maxBodySize`
    /// bytes; returns it and whether the connection may carry another request (see
    /// ``HTTPResponseReader/read(_:)`` for what makes it reusable).
    func exchange(
        _ head: HTTPRequestHead, body: [UInt8], deadline: ContinuousClock.Instant, maxBodySize: Int
    ) async throws -> (response: HTTPClientResponse, reusable: Bool) {
        var reader = try HTTPResponseReader(head, body: body, maxHeaderSize: maxHeaderSize, maxBodySize: maxBodySize)
        try await mapTimeout { try await connection.write(reader.request, timeout: try remaining(until: deadline)) }
        // Read into the loop's pooled receive buffers: a connection holds no buffer of its
        // own (one made in `init` leaked whenever the connect failed, as a class whose
        // initializer throws never runs its `deinit`: found by `make test-asan`).
        while true {
            let result = try await mapTimeout {
                try await connection.receive(timeout: try remaining(until: deadline)) { try reader.read($0) }
            }
            if let result { return result }
        }
    }

    /// Whether an idle connection is still fit for a request: nothing is readable and the
    /// peer has not closed (``Torus/TCPConnection/hasPendingInput()``, one peek). Bytes (a
    /// late or unsolicited response), end of stream or an error mean it must be retired.
    func isClean() -> Bool {
        (try? !connection.hasPendingInput()) ?? false
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
