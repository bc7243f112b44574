import HTTPTypes
import Torus

extension HTTPServer {
    /// Answers the requests on one connection in order, until it closes.
    func serve(_ entry: HTTPServerConnections.Entry, in connections: HTTPServerConnections, date: HTTPDate) async throws
    {
        let connection = entry.connection
        let reader = HTTPConnectionReader(entry, server: self)
        var responses = ResponseBuffer(capacity: 4096)
        defer {
            // A request's timeout is logged with its 408, as a refusal.
            if let expired = entry.expired, expired != .request {
                let waitingFor = expired == .idle ? "a request" : "the client to read"
                logger.debug(
                    "closed a connection at its timeout",
                    metadata: ["waiting for": "\(waitingFor)", "peer": "\(peer(of: connection))"])
            }
        }
        do {
            while let (head, request) = try await reader.nextRequest() {
                let response = try await respond(to: request, head, reading: reader)
                let closing = try await mustClose(after: head, reader, stopping: connections.isStopping)
                try await send(
                    response, for: head, closing: closing, into: &responses, date: date, on: entry,
                    moreRequestsRead: reader.hasBufferedBytes)
                if closing {
                    // A body left unread is still arriving: linger, so the answer is not reset away.
                    if case .ended = reader.body {} else { try await lingeringClose(connection) }
                    return
                }
                if !reader.hasBufferedBytes { entry.phase = .waitingForRequest }
            }
        } catch let error as HTTPRequestError {
            logger.debug(
                "refused a request",
                metadata: ["status": "\(error.status.code)", "why": "\(error)", "peer": "\(peer(of: connection))"])
            try await refuse(error.status, on: entry, sending: &responses)
        }
    }

    /// The client's address, for the log.
    private func peer(of connection: TCPConnection) -> String {
        (try? connection.remoteAddress).map { "\($0)" } ?? "unknown"
    }

    /// The handler's response to `request`.
    private func respond(
        to request: HTTPRequest, _ head: HTTPRequestHeadParser.Head, reading reader: HTTPConnectionReader
    ) async throws -> HTTPServerResponse {
        let body = HTTPRequestBody(reader: reader, limit: maxBodySize)
        switch responder {
        case .collected(let handler):
            // Refused before a `100 Continue` would invite it.
            if case .length(let length) = head.framing, length > maxBodySize {
                throw HTTPRequestError.bodyTooLarge(limit: maxBodySize)
            }
            return try await handler(request, try await body.collect())
        case .streaming(let handler):
            return try await handler(request, body)
        }
    }

    /// Whether the connection ends after this response: the client or a stop asks, or
    /// the handler left a body unread that cannot be skipped (one the client has not sent,
    /// waiting for `100 Continue`, or more than ``maxBodySize`` of it).
    private func mustClose(
        after head: HTTPRequestHeadParser.Head, _ reader: HTTPConnectionReader, stopping: Bool
    ) async throws -> Bool {
        // HTTP/1.0 has no chunked coding: its connection delimits a streamed body.
        if !head.keepAlive || stopping || head.isHTTP10 { return true }
        switch reader.body {
        case .ended: return false
        case .unread(expectsContinue: true): return true
        case .unread, .reading: return try await !reader.skipRestOfBody(limit: maxBodySize)
        }
    }

    /// Encodes `response` after the responses waiting in `responses`, and sends them
    /// unless `moreRequestsRead` (pipelined requests' answers go out together); a streamed
    /// or file body is sent at once, after its head.
    private func send(
        _ response: HTTPServerResponse, for head: HTTPRequestHeadParser.Head, closing: Bool,
        into responses: inout ResponseBuffer, date: HTTPDate, on entry: HTTPServerConnections.Entry,
        moreRequestsRead: Bool
    ) async throws {
        let connection = entry.connection
        // No body for HEAD, nor for 1xx, 204 and 304 (RFC 9110 section 6.4.1).
        let code = response.status.code
        let bodiless = head.method == .head || code < 200 || code == 204 || code == 304
        // Without a length: chunked on HTTP/1.1, delimited by the close on HTTP/1.0.
        let chunks = !head.isHTTP10
        func appendHead(length: Int?) {
            let framing: ResponseBuffer.Framing =
                code < 200 || code == 204 ? .none : length.map { .length($0) } ?? (chunks ? .chunked : .none)
            responses.appendHead(
                status: response.status, fields: response.headerFields, framing: framing, date: date, closing: closing)
        }
        switch response.content {
        case .bytes(let bytes):
            appendHead(length: bytes.count)
            if !bodiless { responses.append(bytes) }
            if closing || !moreRequestsRead { try await flush(&responses, to: entry) }
        case .stream(let length, let produce):
            appendHead(length: length)
            try await flush(&responses, to: entry)
            if bodiless { return }
            let writer = HTTPBodyWriter(connection: connection, chunked: length == nil && chunks, timeout: sendTimeout)
            try await produce(writer)
            if let length, writer.written != length {
                // The framing promised is broken: the client must not read on.
                throw StreamLengthMismatch(declared: length, written: writer.written)
            }
            if writer.chunked { try await connection.write(Self.lastChunk, timeout: sendTimeout) }
        case .file(let path, let offset, let length):
            let file = try await File.open(path, .readOnly, on: connection.loop)
            do {
                let size = try await file.stat().size
                let count = max(0, min(length ?? .max, size - offset))
                appendHead(length: Int(count))
                try await flush(&responses, to: entry)
                if !bodiless { try await copy(count, from: file, at: offset, to: connection) }
            } catch {
                try? await file.close()
                throw error
            }
            try await file.close()
        }
    }

    /// Sends `count` bytes of `file` from `offset` through one 64 KiB window.
    private func copy(_ count: Int64, from file: File, at offset: Int64, to connection: TCPConnection) async throws {
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 4096)
        defer { window.deallocate() }
        var sent: Int64 = 0
        while sent < count {
            let wanted = Int(min(Int64(window.count), count - sent))
            let read = try await file.read(
                into: UnsafeMutableRawBufferPointer(rebasing: window[..<wanted]), at: offset + sent)
            // The file shrank under us: the length promised cannot be met.
            if read == 0 { throw StreamLengthMismatch(declared: Int(count), written: Int(sent)) }
            try await connection.write(UnsafeRawBufferPointer(rebasing: window[..<read]), timeout: sendTimeout)
            sent += Int64(read)
        }
    }

    /// A streamed body that did not have the length its response declared.
    struct StreamLengthMismatch: Error {
        var declared: Int
        var written: Int
    }

    private static let lastChunk = Array("0\r\n\r\n".utf8)

    /// Sends what is in `responses` and empties it, within ``sendTimeout`` (armed for
    /// the sweep: no timeout per send).
    private func flush(_ responses: inout ResponseBuffer, to entry: HTTPServerConnections.Entry) async throws {
        guard responses.count > 0 else { return }
        entry.arm(.send, until: .now + sendTimeout)
        try await entry.connection.write(responses.bytes)
        entry.disarm()
        responses.removeAll()
    }

    /// Answers `status` with `Connection: close` after any responses already encoded,
    /// then closes lingering (the rest of the request may still be on its way).
    private func refuse(
        _ status: HTTPResponse.Status, on entry: HTTPServerConnections.Entry, sending responses: inout ResponseBuffer
    ) async throws {
        responses.appendStatusLine(status)
        responses.append("Content-Length: 0\r\nConnection: close\r\n\r\n")
        try await flush(&responses, to: entry)
        try await lingeringClose(entry.connection)
    }

    /// Half-closes `connection` and reads what the client still sends (up to
    /// ``maxBodySize`` bytes, for at most 5 seconds in all), so that closing with unread
    /// bytes does not reset the connection and discard the last answer before the client
    /// reads it (as nginx's lingering close does).
    private func lingeringClose(_ connection: TCPConnection) async throws {
        try connection.shutdown(.write)
        let deadline = ContinuousClock.now + .seconds(5)
        var drained = 0
        while drained <= maxBodySize {
            let left = deadline - .now
            if left <= .zero { return }
            let count = try await connection.receive(timeout: left) { $0.count }
            if count == 0 { return }
            drained += count
        }
    }
}
