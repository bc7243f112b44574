import Foundation
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

    /// Where a redirect sends the client: the first `Location` field (several are not
    /// joined), trimmed and resolved against `url`, the request's (RFC 9110 section
    /// 10.2.2: it may be relative); nil without one, or when it is empty or not an
    /// `http`/`https` URL with a host. Redirects are the caller's to follow.
    public func location(relativeTo url: URL) -> URL? {
        head.headerFields[values: .location].first.flatMap { Self.resolve(location: $0, relativeTo: url) }
    }

    /// A `Location` value trimmed and resolved against `url`; nil when it is empty or not
    /// an `http`/`https` URL with a host.
    public static func resolve(location: String, relativeTo url: URL?) -> URL? {
        let location = location.trimmingCharacters(in: .whitespaces)
        guard !location.isEmpty, let resolved = URL(string: location, relativeTo: url)?.absoluteURL,
            let scheme = resolved.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = resolved.host, !host.isEmpty
        else { return nil }
        return resolved
    }
}
