/// Splits the bytes a connection receives into requests: each head
/// (``HTTPRequestHeadParser``), then its body by its framing (Content-Length, or
/// ``ChunkedBodyDecoder``), then the next request, so pipelined requests come out one
/// after another. Works in place on the caller's buffer and never allocates in steady
/// state.
package struct HTTPRequestFramer {
    /// What a call found.
    package enum Event: Equatable {
        /// A request head; its offsets count from the start of the bytes given to the
        /// call that returned it, and its fields are in ``fields`` until the next call.
        case head(HTTPRequestHeadParser.Head)
        /// The request's body has ended (at once after a head without one).
        case end
        /// Every byte given is used; more are needed.
        case needMore
        /// The bytes are not a request this server takes: answer the error's status and
        /// close.
        case failed(HTTPRequestError)
    }

    /// Where the decoder is.
    private enum State {
        case head
        /// The head was returned; its fields are still readable.
        case headReturned(HTTPRequestHeadParser.Framing)
        case fixedBody(remaining: Int)
        case chunkedBody(ChunkedBodyDecoder)
        case failed(HTTPRequestError)
    }

    private var parser: HTTPRequestHeadParser
    private var state = State.head

    package init(limits: HTTPRequestHeadParser.Limits = .init()) {
        parser = HTTPRequestHeadParser(limits: limits)
    }

    /// The field lines of the head last returned.
    package var fields: [HTTPRequestHeadParser.FieldLine] { parser.fields }

    /// Decodes from the start of `bytes` (what is left of the received bytes after the
    /// last call's `consumed`): hands body bytes to `body` as they come, and returns the
    /// next event and how many bytes it used.
    package mutating func decode(
        _ bytes: UnsafeRawBufferPointer, body: (UnsafeRawBufferPointer) -> Void
    ) -> (event: Event, consumed: Int) {
        switch state {
        case .head:
            switch parser.parse(bytes) {
            case .incomplete:
                return (.needMore, 0)
            case .failed(let error):
                state = .failed(error)
                return (.failed(error), 0)
            case .complete(let head):
                state = .headReturned(head.framing)
                return (.head(head), head.length)
            }
        case .headReturned(let framing):
            parser.reset()
            switch framing {
            case .none:
                state = .head
                return (.end, 0)
            case .length(let length):
                state = .fixedBody(remaining: length)
            case .chunked:
                state = .chunkedBody(ChunkedBodyDecoder(maxTrailerSize: parser.limits.maxHeadSize))
            }
            return decode(bytes, body: body)
        case .fixedBody(let remaining):
            let count = min(remaining, bytes.count)
            if count > 0 { body(UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
            if count == remaining {
                state = .head
                return (.end, count)
            }
            state = .fixedBody(remaining: remaining - count)
            return (.needMore, count)
        case .chunkedBody(var decoder):
            do {
                let consumed = try decoder.decode(bytes, data: body)
                if decoder.isFinished {
                    state = .head
                    return (.end, consumed)
                }
                state = .chunkedBody(decoder)
                return (.needMore, consumed)
            } catch {
                state = .failed(error)
                return (.failed(error), 0)
            }
        case .failed(let error):
            return (.failed(error), 0)
        }
    }

    /// Whether the decoder is between requests (no head or body begun).
    package var isBetweenRequests: Bool {
        if case .head = state { return true }
        return false
    }
}
