import HTTPTypes

/// Why a request cannot be served, and the status the server answers it with before
/// closing the connection (RFC 9112; RFC 6585 for 431). A handler reading a streamed
/// body sees these too (``HTTPRequestBody``): rethrown, the server answers them.
public enum HTTPRequestError: Error, Hashable, Sendable {
    /// Not an HTTP/1.x request: a malformed request line, field line or framing (400).
    case malformed(Problem)
    /// The request target is longer than the server's limit (414).
    case targetTooLong
    /// The head (request line and fields) is larger than the server's limit, or has more
    /// fields than it allows (431).
    case headTooLarge
    /// A method the server does not know (501).
    case unknownMethod
    /// A transfer coding other than `chunked` (501).
    case unsupportedTransferCoding
    /// An HTTP version other than 1.0 and 1.1 (505).
    case unsupportedVersion
    /// The body is larger than the limit it is read with (413).
    case bodyTooLarge(limit: Int)
    /// The client took longer than the server's timeout to send the head or a part of
    /// the body (408).
    case timedOut

    /// What exactly is malformed; logged, never sent.
    public enum Problem: String, Hashable, Sendable {
        case requestLine = "malformed request line"
        case requestTarget = "malformed request target"
        case lineEnding = "a line ended by LF alone, or CR without LF"
        case fieldName = "malformed field name"
        case fieldValue = "a field value with a control character"
        case obsoleteLineFolding = "a field line folded onto the next (obs-fold)"
        case contentLength = "invalid or repeated Content-Length"
        case lengthAndChunked = "both Content-Length and Transfer-Encoding (request smuggling)"
        case transferEncodingInHTTP10 = "Transfer-Encoding in an HTTP/1.0 request"
        case host = "HTTP/1.1 request without exactly one Host"
        case chunkSize = "malformed chunk size or extension"
        case chunkEnd = "a chunk not followed by CRLF"
        case trailer = "malformed trailer field"
        case truncatedBody = "the connection ended inside the body"
    }

    /// The status the server answers with.
    public var status: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .targetTooLong: .uriTooLong
        case .headTooLarge: .requestHeaderFieldsTooLarge
        case .unknownMethod, .unsupportedTransferCoding: .notImplemented
        case .unsupportedVersion: .httpVersionNotSupported
        case .bodyTooLarge: .contentTooLarge
        case .timedOut: .requestTimeout
        }
    }
}
