/// A request's body as it arrives: an async sequence of byte chunks (at most one read's
/// worth each) read from the connection only as the handler asks, so a handler that reads
/// slowly slows the client down (TCP flow control) instead of making the server buffer.
///
/// Read it in the handler's own task (it reads from its connection on the server's
/// loop). A body the handler leaves unread is read and dropped after the response, up to
/// ``HTTPServer/maxBodySize`` (past that the connection closes). Errors are
/// ``HTTPRequestError``s; a handler that rethrows one has the server answer its status.
public struct HTTPRequestBody: AsyncSequence {
    /// A chunk of the body, as one read brought it.
    public typealias Element = [UInt8]

    private let reader: HTTPConnectionReader?
    /// The most bytes the body may have: ``HTTPRequestError/bodyTooLarge(limit:)`` past it.
    public var limit: Int

    init(reader: HTTPConnectionReader?, limit: Int) {
        self.reader = reader
        self.limit = limit
    }

    /// Reads chunks as they arrive.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let reader: HTTPConnectionReader?
        fileprivate let limit: Int

        /// The next chunk; nil at the body's end.
        public mutating func next() async throws -> [UInt8]? {
            try await reader?.nextBodyChunk(limit: limit)
        }
    }

    /// An iterator reading the body from where the last one stopped.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader, limit: limit) }

    /// The whole body in one array, refused past `limit` bytes (by default the body's
    /// ``limit``, the server's ``HTTPServer/maxBodySize``): a route that takes larger
    /// bodies passes its own.
    /// - Throws: ``HTTPRequestError/bodyTooLarge(limit:)``, and what reading throws.
    public func collect(upTo limit: Int? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunks = HTTPRequestBody(reader: reader, limit: limit ?? self.limit).makeAsyncIterator()
        while let chunk = try await chunks.next() { bytes += chunk }
        return bytes
    }
}
