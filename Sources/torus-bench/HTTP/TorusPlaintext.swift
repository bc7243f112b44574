import Torus

/// The body every plaintext server answers with (as in the TechEmpower plaintext test).
let plaintextBody = "Hello, World!"

/// The Torus plaintext connection: a lean HTTP/1.1 server written for the benchmark,
/// rather than TorusHTTP's ``HTTPServer`` (which drives NIO's codec through an
/// `EmbeddedChannel`: correct, but allocating per request), so the figures show Torus at
/// its best.
///
/// It still parses properly, cheaply: the request line and the headers up to the blank
/// line, in one 64 KiB buffer per connection, reused; `Connection: close` (and HTTP/1.0)
/// ends the connection after the answer; a `Content-Length` body is skipped. Every
/// request is answered `200` with the same prebuilt response. No allocation per request.
enum TorusPlaintext {
    /// The one response, built once.
    static let response = Array(
        ("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: \(plaintextBody.utf8.count)\r\n\r\n"
            + plaintextBody).utf8)

    /// The answer to a request head too large or malformed to parse.
    static let badRequest = Array("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".utf8)

    /// Serves requests until the peer closes, asks to close, sends what cannot be parsed
    /// or the connection fails; then closes it.
    static func serve(_ connection: TCPConnection) async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        let answer = UnsafeMutableRawBufferPointer.allocate(byteCount: response.count, alignment: 16)
        defer { answer.deallocate() }
        answer.copyBytes(from: response)
        do {
            // Unparsed bytes are buffer[start..<end]; `skip` body bytes are still to come.
            var start = 0
            var end = 0
            var skip = 0
            serving: while true {
                if start == end {
                    start = 0
                    end = 0
                } else if end == buffer.count {
                    guard start > 0 else { break }
                    buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                    end -= start
                    start = 0
                }
                let count = try await connection.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
                if count == 0 { break }
                end += count
                while true {
                    let skipped = min(skip, end - start)
                    start += skipped
                    skip -= skipped
                    guard skip == 0 else { break }
                    switch HTTPHead.parse(.request, UnsafeRawBufferPointer(rebasing: buffer[start..<end])) {
                    case .incomplete:
                        continue serving
                    case .malformed:
                        try await connection.write(badRequest)
                        break serving
                    case .complete(let head):
                        start += head.length
                        skip = head.contentLength
                        try await connection.write(UnsafeRawBufferPointer(answer))
                        if head.close { break serving }
                    }
                }
            }
        } catch {
            // A reset or shutdown ends this connection; the server goes on.
        }
        try? await connection.close()
    }
}
