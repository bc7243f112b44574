import HTTPTypes
import NIOCore
import NIOHTTP1

/// The byte-level core of one client exchange, without a socket: encodes the request,
/// then reads the response from the bytes fed to it, enforcing the body limit and
/// deciding whether the connection may carry another request.
///
/// ``HTTPClientConnection`` feeds it what the socket reads; the fuzz checks feed it
/// arbitrary bytes. Used only on one thread (see ``HTTPCodec``).
package struct HTTPResponseReader {
    /// The request's bytes, to send before feeding the response.
    package let request: [UInt8]
    private let codec: HTTPCodec<HTTPClientResponsePart, HTTPClientRequestPart>
    private let requestKeepAlive: Bool
    private let maxBodySize: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    /// A reader for the response to `head` with `body` (the decoder must know the request:
    /// a response to HEAD has no body); fails a response head larger than `maxHeaderSize`
    /// or a body larger than `maxBodySize` bytes.
    package init(_ head: HTTPRequestHead, body: [UInt8], maxHeaderSize: Int, maxBodySize: Int) throws {
        codec = try HTTPCodec(maxHeaderSize: maxHeaderSize)
        requestKeepAlive = head.isKeepAlive
        self.maxBodySize = maxBodySize
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        request = try codec.encode(parts)
    }

    /// Feeds the bytes of one read; no bytes means the peer closed. Returns the response
    /// once it is complete, and whether the connection may carry another request; nil
    /// while more bytes are needed.
    ///
    /// Reusable means known clean: the response was framed (Content-Length or chunked,
    /// not ended by the peer closing), read exactly, with no byte beyond it received, and
    /// neither side asked to close (`Connection: close`, HTTP/1.0 without keep-alive).
    /// Bytes after a complete response leave it returned but the connection not reusable.
    /// - Throws: ``HTTPClientError`` (malformed, too large, closed early).
    package mutating func read(_ bytes: UnsafeRawBufferPointer) throws -> (
        response: HTTPClientResponse, reusable: Bool
    )? {
        let decoded: [HTTPClientResponsePart]
        var failure: (any Error)?
        if bytes.isEmpty {
            do { decoded = try codec.endOfStream() } catch { (decoded, failure) = ([], error) }
        } else {
            (decoded, failure) = codec.decodeKeepingParts(bytes)
        }
        for (index, part) in decoded.enumerated() {
            switch part {
            case .head(let responseHead):
                head = responseHead
            case .body(let chunk):
                guard body.count + chunk.readableBytes <= maxBodySize else {
                    throw HTTPClientError.bodyTooLarge(limit: maxBodySize)
                }
                body += chunk.readableBytesView
            case .end:
                guard let head else { throw HTTPClientError.malformedResponse("no status line") }
                let response = HTTPClientResponse(head: HTTPResponse(head), body: body)
                // Anything after the end (parts, a parse error, bytes of a next message
                // the parser holds) is more than the response: the connection is not clean.
                let reusable =
                    !bytes.isEmpty && head.isKeepAlive && requestKeepAlive && failure == nil
                    && index == decoded.count - 1 && codec.finishBetweenMessages()
                return (response, reusable)
            }
        }
        if let failure {
            if let error = failure as? HTTPParserError { throw HTTPClientError.malformedResponse("\(error)") }
            throw failure
        }
        if bytes.isEmpty { throw HTTPClientError.connectionClosedEarly }
        return nil
    }
}
