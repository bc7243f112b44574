import NIOCore
import NIOHTTP1
import TorusHTTP

/// The server's request decoder on arbitrary bytes: the body it returns is never larger
/// than the input, two reads give what one read gives, and every complete request
/// re-encodes into bytes that decode to the same request.
enum HTTPRequestInvariants {
    /// The server's default head limit (``TorusHTTP/HTTPServer/maxHeaderSize``).
    static let maxHeaderSize = 80 * 1024

    /// One request as the decoder gave it.
    struct Request: Equatable {
        var head: HTTPRequestHead
        var body: [UInt8] = []
        /// The trailers once the request ended (empty without); nil while it goes on.
        var trailers: HTTPHeaders?
    }

    /// The requests decoded from some bytes, and whether the decoder then failed.
    struct Outcome: Equatable {
        var requests: [Request] = []
        var failed = false
    }

    static func check(_ input: [UInt8]) throws {
        let whole = try decode([input[...]])
        let bodyBytes = whole.requests.reduce(0) { $0 + $1.body.count }
        try expect(bodyBytes <= input.count, "\(bodyBytes) body bytes decoded from \(input.count) bytes")
        let split = input[...].splitPoint
        let pieces = try decode([input[..<split], input[split...]])
        try expect(pieces == whole, "split at \(split): \(pieces), whole: \(whole)")
        for request in whole.requests where request.trailers != nil { try checkReencoding(request) }
    }

    /// What the server's codec decodes from `pieces`, fed one read at a time; a piece
    /// after a parse error is not fed (the server closes there).
    static func decode(_ pieces: [ArraySlice<UInt8>]) throws -> Outcome {
        let codec = try HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>(maxHeaderSize: maxHeaderSize)
        var outcome = Outcome()
        for piece in pieces where !piece.isEmpty {
            let (parts, error) = piece.withUnsafeBytes { codec.decodeKeepingParts($0) }
            for part in parts {
                if case .head(let head) = part {
                    outcome.requests.append(Request(head: head))
                    continue
                }
                try expect(outcome.requests.last?.trailers == nil, "\(part) outside a request")
                switch part {
                case .head: break
                case .body(let bytes): outcome.requests[outcome.requests.count - 1].body += bytes.readableBytesView
                case .end(let trailers): outcome.requests[outcome.requests.count - 1].trailers = trailers ?? [:]
                }
            }
            if error != nil {
                outcome.failed = true
                break
            }
        }
        return outcome
    }

    /// Encodes `request` as a client would send it, decodes that, and checks the same
    /// request comes back (its framing fields aside: the encoder may frame it its way).
    static func checkReencoding(_ request: Request) throws {
        let encoder = try HTTPCodec<HTTPClientResponsePart, HTTPClientRequestPart>(maxHeaderSize: maxHeaderSize)
        var parts: [HTTPClientRequestPart] = [.head(request.head)]
        if !request.body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: request.body)))) }
        parts.append(.end(request.trailers?.isEmpty == false ? request.trailers : nil))
        let bytes = try encoder.encode(parts)
        let again = try decode([bytes[...]])
        try expect(
            !again.failed && again.requests.count == 1 && again.requests[0].trailers != nil,
            "\(request) re-encoded as \(String(decoding: bytes, as: UTF8.self)) decodes as \(again)")
        let copy = again.requests[0]
        try expect(
            copy.head.method == request.head.method && copy.head.uri == request.head.uri
                && copy.head.version == request.head.version
                && withoutFraming(copy.head.headers) == withoutFraming(request.head.headers)
                && copy.body == request.body && copy.trailers == request.trailers,
            "\(request) re-encoded decodes as \(copy)")
    }

    /// The fields but Content-Length and Transfer-Encoding, in order.
    static func withoutFraming(_ headers: HTTPHeaders) -> [String] {
        headers.filter { !["content-length", "transfer-encoding"].contains($0.name.lowercased()) }
            .map { "\($0.name): \($0.value)" }
    }
}
