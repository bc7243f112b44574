import HTTPTypes
import SystemPackage

/// What an ``HTTPServer`` handler answers: a status, header fields and a body.
/// Content-Length (or chunked coding), Date and Connection are set by the server.
public struct HTTPServerResponse: Sendable {
    /// Where a response's body comes from.
    public enum Body: Sendable {
        /// Bytes in memory.
        case bytes([UInt8])
        /// Written by the closure as it produces them, through an ``HTTPBodyWriter``
        /// (which waits for a slow client): `length` bytes exactly, or chunked when nil.
        case stream(length: Int?, @Sendable (HTTPBodyWriter) async throws -> Void)
        /// `length` bytes of the file at `path` from `offset` (nil: to its end), read
        /// through the loop (io_uring reads on a completion loop) a window at a time, so
        /// a large file costs no more memory than a small one.
        case file(FilePath, offset: Int64 = 0, length: Int64? = nil)
    }

    /// The status line's code and reason.
    public var status: HTTPResponse.Status
    /// The header fields (Content-Length, Transfer-Encoding and Connection are the
    /// server's).
    public var headerFields: HTTPFields
    /// The body.
    public var content: Body

    /// A response with `status`, `headerFields` and `content`.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], content: Body) {
        self.status = status
        self.headerFields = headerFields
        self.content = content
    }

    /// A response with `status`, `headerFields` and `body` in memory.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: [UInt8] = []) {
        self.init(status: status, headerFields: headerFields, content: .bytes(body))
    }

    /// A response whose body is `text` in UTF-8, with Content-Type `contentType`.
    public init(status: HTTPResponse.Status = .ok, contentType: String, text: String) {
        self.init(status: status, headerFields: [.contentType: contentType], body: Array(text.utf8))
    }
}
