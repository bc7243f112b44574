import HTTPTypes

/// What an ``HTTPServer`` handler answers: a status, header fields and a body.
/// Content-Length is set by the server.
public struct HTTPServerResponse: Sendable {
    /// The status line's code and reason.
    public var status: HTTPResponse.Status
    /// The header fields (Content-Length and Connection are the server's).
    public var headerFields: HTTPFields
    /// The body bytes.
    public var body: [UInt8]

    /// A response with `status`, `headerFields` and `body`.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A response whose body is `text` in UTF-8, with Content-Type `contentType`.
    public init(status: HTTPResponse.Status = .ok, contentType: String, text: String) {
        self.init(status: status, headerFields: [.contentType: contentType], body: Array(text.utf8))
    }
}
