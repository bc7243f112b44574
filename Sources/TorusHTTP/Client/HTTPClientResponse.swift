import HTTPTypes

/// A response read in full: its head (status and header fields) and body bytes.
public struct HTTPClientResponse: Sendable {
    /// The status and header fields.
    public var head: HTTPResponse
    /// The body, decoded from Content-Length, chunked or close-delimited framing.
    public var body: [UInt8]

    /// A response with `head` and `body`.
    public init(head: HTTPResponse, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    /// The status code.
    public var status: Int { head.status.code }
}
