import Torus

/// Writes a streamed response body (``HTTPServerResponse/Body/stream(length:_:)``) to
/// the client as the handler produces it: each write waits until the connection takes
/// the bytes, so a client that reads slowly slows the producer down instead of making
/// the server buffer. Without a length the body is sent chunked (RFC 9112 section 7.1).
public final class HTTPBodyWriter {
    let connection: TCPConnection
    let chunked: Bool
    let timeout: Duration
    /// Body bytes written so far (a declared length must be met exactly).
    private(set) var written = 0

    init(connection: TCPConnection, chunked: Bool, timeout: Duration) {
        self.connection = connection
        self.chunked = chunked
        self.timeout = timeout
    }

    /// Sends `bytes` as the next part of the body (nothing for an empty buffer).
    public func write(_ bytes: UnsafeRawBufferPointer) async throws {
        guard !bytes.isEmpty else { return }
        written += bytes.count
        guard chunked else { return try await connection.write(bytes, timeout: timeout) }
        // Size line, data and CRLF in one send.
        let sizeLine = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
        let framed = UnsafeMutableRawBufferPointer.allocate(byteCount: sizeLine.count + bytes.count + 2, alignment: 1)
        defer { framed.deallocate() }
        framed.copyBytes(from: sizeLine)
        (framed.baseAddress! + sizeLine.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        framed[framed.count - 2] = 13
        framed[framed.count - 1] = 10
        try await connection.write(UnsafeRawBufferPointer(framed), timeout: timeout)
    }

    /// Sends `bytes` as the next part of the body.
    public func write(_ bytes: [UInt8]) async throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try await write(UnsafeRawBufferPointer(copy))
    }
}
