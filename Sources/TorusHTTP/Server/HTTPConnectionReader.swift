import HTTPTypes
import Torus

/// One served connection's reading side: request heads and bodies parsed in place from a
/// reused ``ReceiveBuffer`` by an ``HTTPRequestFramer``, read from the connection as
/// needed, each wait armed on the connection's entry for the server's sweep to end. The server reads heads; a handler reads its
/// request's body through ``HTTPRequestBody``, which asks this reader.
///
/// `@unchecked Sendable`: loop-confined. It belongs to one connection's task, on its
/// server's loop; the body a handler gets is read in that task (each entry point asserts
/// the loop).
final class HTTPConnectionReader: @unchecked Sendable {
    /// Where the current request's body stands.
    enum BodyState {
        /// No body, or all of it read.
        case ended
        /// Not read yet; a client that asked waits for `100 Continue` first.
        case unread(expectsContinue: Bool)
        /// Being read.
        case reading
    }

    let connection: TCPConnection
    /// Its entry in the server's set: where it stands, its deadlines.
    let entry: HTTPServerConnections.Entry
    private let server: HTTPServer
    private var received: ReceiveBuffer
    private var framer: HTTPRequestFramer
    /// Reused for every request: once the handler has let go of the last one, its
    /// storage (and its fields') is this reader's again, so a request costs no allocation.
    private var request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/")
    private(set) var body = BodyState.ended
    /// Bytes of the current body read so far.
    private var bodyBytesRead = 0

    init(_ entry: HTTPServerConnections.Entry, server: HTTPServer) {
        self.entry = entry
        connection = entry.connection
        self.server = server
        received = ReceiveBuffer(capacity: 4096)
        var limits = HTTPRequestHeadParser.Limits()
        limits.maxHeadSize = server.maxHeaderSize
        limits.maxTargetLength = server.maxTargetLength
        limits.maxFieldCount = server.maxFieldCount
        framer = HTTPRequestFramer(limits: limits)
    }

    /// Whether bytes of a next request are read already (pipelined).
    var hasBufferedBytes: Bool { !received.unread.isEmpty }

    /// Reads the next request's head. Returns nil when the client closes, or stays idle
    /// past ``HTTPServer/idleTimeout``, before sending a byte of one; marks the
    /// connection in a request when its first byte arrives.
    /// - Throws: ``HTTPRequestError`` for a head the server refuses (`.timedOut` past
    ///   ``HTTPServer/headTimeout``); connection errors.
    func nextRequest() async throws -> (HTTPRequestHeadParser.Head, HTTPRequest)? {
        precondition(connection.loop.isCurrent)
        var headDeadline: ContinuousClock.Instant?
        while true {
            let (event, consumed) = framer.decode(received.unread) { _ in }
            switch event {
            case .head(let head):
                let request = makeRequest(head)
                received.consume(consumed)
                body = head.framing == .none ? .ended : .unread(expectsContinue: head.expectsContinue)
                bodyBytesRead = 0
                if head.framing == .none { _ = framer.decode(received.unread) { _ in } }  // its `.end`
                return (head, request)
            case .failed(let error):
                throw error
            case .end:
                received.consume(consumed)
            case .needMore:
                received.consume(consumed)
                let idle = received.unread.isEmpty
                if idle {
                    entry.arm(.idle, until: .now + server.idleTimeout)
                } else {
                    // One deadline for the whole head (slowloris).
                    let due = headDeadline ?? .now + server.headTimeout
                    headDeadline = due
                    entry.arm(.request, until: due)
                }
                guard try await read() else { return nil }
                if idle { entry.phase = .inRequest }
            }
        }
    }

    /// The next bytes of the current request's body, at most one read's worth; nil at its
    /// end. Sends `100 Continue` first if the client waits for it.
    /// - Throws: ``HTTPRequestError`` (`.bodyTooLarge` past `limit`, `.timedOut` past
    ///   ``HTTPServer/bodyTimeout``, `.malformed` for bad chunked coding).
    func nextBodyChunk(limit: Int) async throws -> [UInt8]? {
        precondition(connection.loop.isCurrent)
        switch body {
        case .ended:
            return nil
        case .unread(let expectsContinue):
            body = .reading
            if expectsContinue {
                let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                try await connection.write(interim, timeout: server.sendTimeout)
            }
        case .reading:
            break
        }
        while true {
            var chunk: [UInt8] = []
            let (event, consumed) = framer.decode(received.unread) { chunk.append(contentsOf: $0) }
            received.consume(consumed)
            bodyBytesRead += chunk.count
            if bodyBytesRead > limit { throw HTTPRequestError.bodyTooLarge(limit: limit) }
            switch event {
            case .end:
                body = .ended
                return chunk.isEmpty ? nil : chunk
            case .failed(let error):
                throw error
            case .head:
                preconditionFailure("a head inside a body")
            case .needMore:
                if !chunk.isEmpty { return chunk }
                entry.arm(.request, until: .now + server.bodyTimeout)
                guard try await read() else { throw HTTPRequestError.malformed(.truncatedBody) }
            }
        }
    }

    /// Reads and drops what is left of the current body (its handler did not read it all),
    /// so the connection can carry the next request; false if more than `limit` bytes
    /// are left (the connection must close).
    func skipRestOfBody(limit: Int) async throws -> Bool {
        var skipped = 0
        while let chunk = try await nextBodyChunk(limit: .max) {
            skipped += chunk.count
            if skipped > limit { return false }
        }
        return true
    }

    /// Reads once more into the buffer, within the wait armed on the entry; false at
    /// end of stream, or when an idle wait ran out (the sweep shut the connection down).
    /// - Throws: ``HTTPRequestError/timedOut`` when a request's wait ran out.
    private func read() async throws -> Bool {
        guard let space = received.spaceToRead(maxCapacity: server.maxHeaderSize + 4096) else {
            throw HTTPRequestError.headTooLarge
        }
        let count = try await connection.read(into: space)
        entry.disarm()
        if count == 0, entry.expired == .request { throw HTTPRequestError.timedOut }
        received.didRead(count)
        return count > 0
    }

    /// The request `head` describes, made in the reused storage.
    private func makeRequest(_ head: HTTPRequestHeadParser.Head) -> HTTPRequest {
        let bytes = received.unread
        request.headerFields.removeAll(keepingCapacity: true)
        for line in framer.fields {
            // The parser checked the name is a token: it is a valid field name.
            guard let name = HTTPField.Name(String(decoding: bytes[line.name], as: UTF8.self)) else { continue }
            request.headerFields.append(HTTPField(name: name, lenientValue: bytes[line.value]))
        }
        request.method = head.method
        let target = bytes[head.target]
        if target.first != UInt8(ascii: "/"), let colon = target.firstIndex(of: HTTPBytes.colon) {
            // Absolute form (RFC 9112 section 3.2.2; the parser checked `scheme://`): its
            // authority replaces Host.
            let rest = target[(colon + 3)...]
            let pathStart = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
            let path = String(decoding: rest[pathStart...], as: UTF8.self)
            request.scheme = String(decoding: target[..<colon], as: UTF8.self)
            request.authority = String(decoding: rest[..<pathStart], as: UTF8.self)
            request.path = path.first == "/" ? path : "/" + path
        } else {
            request.scheme = nil
            request.authority = head.host.map { String(decoding: bytes[$0], as: UTF8.self) }
            request.path = String(decoding: target, as: UTF8.self)
        }
        return request
    }
}
