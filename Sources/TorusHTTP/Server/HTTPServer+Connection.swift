import HTTPTypes
import Torus

extension HTTPServer {
    /// The parser's limits from the server's.
    private var parserLimits: HTTPRequestHeadParser.Limits {
        var limits = HTTPRequestHeadParser.Limits()
        limits.maxHeadSize = maxHeaderSize
        limits.maxTargetLength = maxTargetLength
        limits.maxFieldCount = maxFieldCount
        return limits
    }

    /// Answers the requests on one connection in order, until it closes.
    func serve(
        _ connection: TCPConnection, id: Int, in connections: HTTPServerConnections, date: HTTPDate
    ) async throws {
        var received = ReceiveBuffer(capacity: 4096)
        var responses = ResponseBuffer(capacity: 4096)
        var framer = HTTPRequestFramer(limits: parserLimits)
        // Reused for every request's fields: once the handler has let go of a request,
        // its field storage is this connection's again.
        var fields = HTTPFields()
        var request: HTTPRequest?
        var head: HTTPRequestHeadParser.Head?
        var body: [UInt8] = []
        var headDeadline: ContinuousClock.Instant?
        while true {
            var bodyTooLarge = false
            let (event, consumed) = framer.decode(received.unread) { bytes in
                if body.count + bytes.count > maxBodySize {
                    bodyTooLarge = true
                } else {
                    body.append(contentsOf: bytes)
                }
            }
            if bodyTooLarge { return try await refuse(.contentTooLarge, on: connection, sending: &responses) }
            switch event {
            case .head(let parsed):
                request = makeRequest(parsed, framer.fields, in: received.unread, reusing: &fields)
                received.consume(consumed)
                head = parsed
                headDeadline = nil
                if case .length(let length) = parsed.framing, length > maxBodySize {
                    return try await refuse(.contentTooLarge, on: connection, sending: &responses)
                }
                if parsed.expectsContinue, parsed.framing != .none {
                    responses.append("HTTP/1.1 100 Continue\r\n\r\n")
                    try await send(&responses, on: connection)
                }
            case .end:
                received.consume(consumed)
                guard let parsed = head, let current = request else { return }
                request = nil
                head = nil
                let response = try await handler(current, body)
                body = []
                let closing = !parsed.keepAlive || connections.isStopping
                responses.appendHead(
                    status: response.status, fields: response.headerFields, contentLength: response.body.count,
                    date: date, closing: closing)
                if parsed.method != .head { responses.append(response.body) }
                if closing {
                    try await send(&responses, on: connection)
                    return
                }
                // More pipelined requests read already: answer them all, then send.
                if received.unread.isEmpty {
                    try await send(&responses, on: connection)
                    connections.set(id, .waitingForRequest)
                }
            case .needMore:
                received.consume(consumed)
                if !responses.bytes.isEmpty { try await send(&responses, on: connection) }
                let between = framer.isBetweenRequests && received.unread.isEmpty
                let timeout: Duration
                if between {
                    timeout = idleTimeout
                } else if head == nil {
                    // A head on its way: one deadline for all of it (slowloris).
                    let deadline = headDeadline ?? .now + headTimeout
                    headDeadline = deadline
                    timeout = deadline - .now
                } else {
                    timeout = bodyTimeout
                }
                guard let space = received.spaceToRead(maxCapacity: maxHeaderSize + 4096) else {
                    return try await refuse(.requestHeaderFieldsTooLarge, on: connection, sending: &responses)
                }
                let count: Int
                do {
                    count = try await connection.read(into: space, timeout: timeout > .zero ? timeout : .nanoseconds(1))
                } catch let error as TorusError where error.reason == .timedOut {
                    // Nothing begun: a quiet close. A request begun: 408, then close.
                    if between { return }
                    return try await refuse(.requestTimeout, on: connection, sending: &responses)
                }
                if count == 0 { return }
                received.didRead(count)
                if between { connections.set(id, .inRequest) }
            case .failed(let error):
                return try await refuse(error.status, on: connection, sending: &responses)
            }
        }
    }

    /// The request `head` and its `fields` describe, its fields put in `storage` (emptied
    /// first, its capacity kept).
    private func makeRequest(
        _ head: HTTPRequestHeadParser.Head, _ lines: [HTTPRequestHeadParser.FieldLine],
        in bytes: UnsafeRawBufferPointer, reusing storage: inout HTTPFields
    ) -> HTTPRequest {
        storage.removeAll(keepingCapacity: true)
        for line in lines {
            // The parser checked the name is a token: it is a valid field name.
            guard let name = HTTPField.Name(String(decoding: bytes[line.name], as: UTF8.self)) else { continue }
            storage.append(HTTPField(name: name, lenientValue: bytes[line.value]))
        }
        let target = String(decoding: bytes[head.target], as: UTF8.self)
        let host = head.host.map { String(decoding: bytes[$0], as: UTF8.self) }
        guard let schemeEnd = target.range(of: "://"), target.first != "/" else {
            return HTTPRequest(method: head.method, scheme: nil, authority: host, path: target, headerFields: storage)
        }
        // Absolute form (RFC 9112 section 3.2.2): its authority replaces Host.
        let rest = target[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let path = rest[pathStart...]
        return HTTPRequest(
            method: head.method, scheme: String(target[..<schemeEnd.lowerBound]),
            authority: String(rest[..<pathStart]), path: path.first == "/" ? String(path) : "/" + path,
            headerFields: storage)
    }

    /// Sends what is in `responses` and empties it.
    private func send(_ responses: inout ResponseBuffer, on connection: TCPConnection) async throws {
        try await connection.write(responses.bytes, timeout: sendTimeout)
        responses.removeAll()
    }

    /// Answers `status` with `Connection: close` after any responses already encoded,
    /// then closes the way nginx's lingering close does: the rest of the request may still
    /// be on its way, and closing with unread bytes would reset the connection, which can
    /// discard the answer before the client reads it. So the server half-closes and
    /// drains (up to ``maxBodySize`` more bytes, for at most 5 seconds in all) before the
    /// caller closes.
    private func refuse(
        _ status: HTTPResponse.Status, on connection: TCPConnection, sending responses: inout ResponseBuffer
    ) async throws {
        responses.append("HTTP/1.1 ")
        responses.appendDecimal(status.code)
        responses.append(" ")
        responses.append(status.reasonPhrase)
        responses.append("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        try await send(&responses, on: connection)
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
