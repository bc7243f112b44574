import NIOHTTP1
import TorusHTTP

/// The server's request parser (``TorusHTTP/HTTPRequestFramer``) against SwiftNIO's
/// decoder (llhttp) on the same bytes: every request the parser accepts, NIO accepts with
/// the same method, target, version, fields and body; every input NIO rejects, the
/// parser rejects no later; and the parser gives the same in one read as in two.
enum HTTPRequestDifferential {
    /// One request as either parser gave it.
    struct Request: Equatable, CustomStringConvertible {
        var method: String
        var target: String
        var isHTTP10: Bool
        var fields: [[UInt8]]
        var body: [UInt8] = []
        var ended = false

        var description: String {
            "\(method) \(target) 1.\(isHTTP10 ? 0 : 1) \(fields.map { String(decoding: $0, as: UTF8.self) }) "
                + "body \(body.count) bytes\(ended ? "" : ", not ended")"
        }
    }

    /// What a parser made of some bytes.
    struct Outcome: Equatable {
        var requests: [Request] = []
        var failed = false
        /// The last request ended the connection (HTTP/1.0, `Connection: close`): the
        /// server reads nothing after it.
        var closed = false
        var ended: [Request] { requests.filter(\.ended) }
    }

    static func check(_ input: [UInt8]) throws {
        let ours = decode([input[...]])
        let split = input[...].splitPoint
        let oursSplit = decode([input[..<split], input[split...]])
        try expect(oursSplit == ours, "split at \(split): \(oursSplit), whole: \(ours)")
        let nio = try nioOutcome(input)
        let accepted = ours.ended
        let nioEnded = nio.ended
        try expect(
            accepted.count <= nioEnded.count,
            "accepted \(accepted.count) requests, NIO \(nioEnded.count)\(nio.failed ? " then failed" : ""): \(accepted)"
        )
        for (mine, theirs) in zip(accepted, nioEnded) {
            try expect(mine == theirs, "accepted \(mine), NIO decoded \(theirs)")
        }
        if nio.failed, !ours.closed {
            try expect(ours.failed, "NIO rejects what the parser takes: \(ours.requests)")
        }
    }

    /// What ``TorusHTTP/HTTPRequestFramer`` decodes from `pieces` arriving one read at a
    /// time into one buffer, as the server reads them.
    static func decode(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
        var framer = HTTPRequestFramer()
        var buffer: [UInt8] = []
        var start = 0
        var keepAlive = true
        var outcome = Outcome()
        for piece in pieces {
            buffer += piece
            decoding: while true {
                var bodyBytes: [UInt8] = []
                let (event, consumed) = buffer.withUnsafeBytes { all in
                    let bytes = UnsafeRawBufferPointer(rebasing: all[start...])
                    let result = framer.decode(bytes) { bodyBytes += $0 }
                    if case .head(let head) = result.event {
                        outcome.requests.append(request(head, framer.fields, in: bytes))
                        keepAlive = head.keepAlive
                    }
                    return result
                }
                if !bodyBytes.isEmpty { outcome.requests[outcome.requests.count - 1].body += bodyBytes }
                start += consumed
                switch event {
                case .head: continue decoding
                case .end:
                    outcome.requests[outcome.requests.count - 1].ended = true
                    if !keepAlive {
                        outcome.closed = true
                        return outcome
                    }
                case .needMore: break decoding
                case .failed:
                    outcome.failed = true
                    return outcome
                }
            }
        }
        return outcome
    }

    private static func request(
        _ head: HTTPRequestHeadParser.Head, _ fields: [HTTPRequestHeadParser.FieldLine],
        in bytes: UnsafeRawBufferPointer
    ) -> Request {
        Request(
            method: head.method.rawValue, target: String(decoding: bytes[head.target], as: UTF8.self),
            isHTTP10: head.isHTTP10,
            // As Strings, as NIO gives them: bytes that are not UTF-8 (obs-text) repaired
            // the same way on both sides.
            fields: fields.map {
                Array(
                    "\(String(decoding: bytes[$0.name], as: UTF8.self)): \(String(decoding: bytes[$0.value], as: UTF8.self))"
                        .utf8)
            })
    }

    /// What NIO's server decoder makes of `input` in one read.
    private static func nioOutcome(_ input: [UInt8]) throws -> Outcome {
        let nio = try HTTPRequestInvariants.decode([input[...]])
        var outcome = Outcome(failed: nio.failed)
        for decoded in nio.requests {
            let head = decoded.head
            outcome.requests.append(
                Request(
                    method: head.method.rawValue, target: head.uri, isHTTP10: head.version.minor == 0,
                    // A value's surrounding whitespace is not part of it (RFC 9110 section
                    // 5.5); NIO keeps what trails it.
                    fields: head.headers.map { Array($0.name.utf8) + Array(": ".utf8) + trimmed($0.value.utf8) },
                    body: decoded.body, ended: decoded.trailers != nil))
        }
        return outcome
    }

    /// `value` without leading and trailing spaces and tabs.
    private static func trimmed(_ value: String.UTF8View) -> [UInt8] {
        let isWhitespace = { (byte: UInt8) in byte == 32 || byte == 9 }
        return Array(value.drop(while: isWhitespace).reversed().drop(while: isWhitespace).reversed())
    }
}
