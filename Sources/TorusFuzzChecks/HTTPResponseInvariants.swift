import HTTPTypes
import NIOHTTP1
import TorusHTTP

/// The client's response reader on arbitrary bytes (the first input byte picks the
/// request: bit 0 HEAD rather than GET, bit 1 `Connection: close`): it returns a
/// response or an ``TorusHTTP/HTTPClientError``, never another error; the body is
/// within the limit, never larger than the input, empty for HEAD; two reads give what
/// one read gives; a reusable connection is one both sides keep alive.
enum HTTPResponseInvariants {
    /// Small limits, so the fuzzer reaches them.
    static let maxHeaderSize = 4096
    static let maxBodySize = 1024

    /// How a read ended.
    enum Outcome {
        case response(HTTPClientResponse, reusable: Bool)
        case failed(HTTPClientError)

        /// The status, fields and body, to compare two outcomes.
        var content: (head: HTTPResponse, body: [UInt8])? {
            if case .response(let response, _) = self { (response.head, response.body) } else { nil }
        }
    }

    static func check(_ input: [UInt8]) throws {
        let flags = input.first ?? 0
        let bytes = input.dropFirst()
        let head = HTTPRequestHead(
            version: .http1_1, method: flags & 1 == 0 ? .GET : .HEAD, uri: "/",
            headers: flags & 2 == 0 ? ["Host": "h"] : ["Host": "h", "Connection": "close"])
        let whole = try read([bytes], for: head)
        if case .response(let response, let reusable) = whole {
            try expect(
                response.body.count <= min(maxBodySize, bytes.count),
                "\(response.body.count) body bytes from \(bytes.count) bytes (limit \(maxBodySize))")
            try expect(head.method != .HEAD || response.body.isEmpty, "a body in the response to HEAD")
            try expect(!reusable || head.isKeepAlive, "reusable after the request asked to close")
        }
        let split = bytes.splitPoint
        let pieces = try read([bytes[..<split], bytes[split...]], for: head)
        switch (whole.content, pieces.content) {
        case (nil, nil): break
        case (let one?, let two?):
            try expect(one.head == two.head && one.body == two.body, "split at \(split): \(pieces), whole: \(whole)")
        default: throw InvariantViolation(description: "split at \(split): \(pieces), whole: \(whole)")
        }
    }

    /// What the reader makes of `pieces`, fed one read at a time, then the peer closing.
    static func read(_ pieces: [ArraySlice<UInt8>], for head: HTTPRequestHead) throws -> Outcome {
        var reader = try HTTPResponseReader(head, body: [], maxHeaderSize: maxHeaderSize, maxBodySize: maxBodySize)
        do {
            for piece in pieces where !piece.isEmpty {
                if let result = try piece.withUnsafeBytes({ try reader.read($0) }) {
                    return .response(result.response, reusable: result.reusable)
                }
            }
            let result = try reader.read(UnsafeRawBufferPointer(start: nil, count: 0))
            try expect(
                result?.reusable == false, "reusable, or nothing, after the peer closed: \(String(describing: result))")
            return .response(result!.response, reusable: false)
        } catch let error as HTTPClientError {
            return .failed(error)
        } catch let error as InvariantViolation {
            throw error
        } catch {
            throw InvariantViolation(description: "not an HTTPClientError: \(error)")
        }
    }
}
