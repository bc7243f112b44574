/// Why an HTTP exchange failed, beyond the socket errors (``Torus/TorusError``) that
/// pass through unchanged.
public enum HTTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL has no host, or cannot be made into a request.
    case invalidURL(String)
    /// Only `http` is spoken (no TLS): the scheme named was asked for.
    case unsupportedScheme(String)
    /// The response was not valid HTTP/1.x; the text is the parser's complaint.
    case malformedResponse(String)
    /// The body grew past the limit (bytes) before it ended; reading stopped there.
    case bodyTooLarge(limit: Int)
    /// The peer closed the connection before the response was complete.
    case connectionClosedEarly
    /// The request as a whole took longer than its timeout.
    case timedOut
    /// The client was used off its loop's thread.
    case notOnLoop

    /// One line saying what went wrong.
    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \(url)"
        case .unsupportedScheme(let scheme): "unsupported scheme \(scheme) (no TLS)"
        case .malformedResponse(let why): "malformed response: \(why)"
        case .bodyTooLarge(let limit): "body larger than \(limit) bytes"
        case .connectionClosedEarly: "connection closed before the response was complete"
        case .timedOut: "request timed out"
        case .notOnLoop: "HTTP client used off its event loop"
        }
    }
}
