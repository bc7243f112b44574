/// What the load generator (``HTTPSession``, ``SoakHTTPSession``) needs of an HTTP/1.x
/// response head (`HTTP/1.x SP 200 SP reason`; any other status is malformed to the
/// benchmark): parsed in place from the bytes read, without copying or allocating.
struct HTTPHead {
    /// The head's length in bytes, through its blank line.
    var length: Int
    /// The body's length (`Content-Length`; 0 without one).
    var contentLength: Int
    /// Whether the connection ends after this message: `Connection: close`, or HTTP/1.0
    /// without `Connection: keep-alive`.
    var close: Bool

    /// The outcome of parsing the start of a buffer.
    enum Parse {
        case complete(HTTPHead)
        /// The blank line has not arrived yet.
        case incomplete
        /// Not an HTTP/1.x 200 head (or a `Content-Length` that is not a number).
        case malformed
    }

    /// Parses the response head at the start of `bytes`: the status line and the header
    /// lines, up to the blank line.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Parse {
        var lineStart = 0
        var head = HTTPHead(length: 0, contentLength: 0, close: false)
        var isFirstLine = true
        var keepAlive = false
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == 13, bytes[index + 1] == 10 else {
                index += 1
                continue
            }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index])
            index += 2
            lineStart = index
            if isFirstLine {
                guard let http10 = statusLineVersion(line) else { return .malformed }
                head.close = http10
                isFirstLine = false
            } else if line.isEmpty {
                head.length = index
                if head.close && keepAlive { head.close = false }
                return .complete(head)
            } else if let value = value(of: "content-length", in: line) {
                guard !value.isEmpty, let length = decimal(value) else { return .malformed }
                head.contentLength = length
            } else if let value = value(of: "connection", in: line) {
                if equalsIgnoringCase(value, "close") { head.close = true }
                if equalsIgnoringCase(value, "keep-alive") { keepAlive = true }
            }
        }
        return .incomplete
    }

    /// Checks a `200` status line; returns whether it is HTTP/1.0 (nil: not HTTP/1.x 200).
    private static func statusLineVersion(_ line: UnsafeRawBufferPointer) -> Bool? {
        guard line.count >= 12, line[8] == 32, line[9...].starts(with: "200".utf8) else { return nil }
        return isHTTP10(UnsafeRawBufferPointer(rebasing: line[..<8]))
    }

    /// Whether the 8-byte `version` is `HTTP/1.0`; false for `HTTP/1.1`, nil otherwise.
    private static func isHTTP10(_ version: UnsafeRawBufferPointer) -> Bool? {
        guard version.count == 8, version.starts(with: "HTTP/1.".utf8) else { return nil }
        switch version[7] {
        case UInt8(ascii: "0"): return true
        case UInt8(ascii: "1"): return false
        default: return nil
        }
    }

    /// The value of header line `line` when its name is `name` (lowercase), trimmed of
    /// spaces and tabs; nil for another header.
    private static func value(of name: StaticString, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let nameBytes = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        guard line.count > nameBytes.count, line[nameBytes.count] == UInt8(ascii: ":"),
            equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: line[..<nameBytes.count]), nameBytes)
        else { return nil }
        var from = nameBytes.count + 1
        var to = line.count
        while from < to, line[from] == 32 || line[from] == 9 { from += 1 }
        while to > from, line[to - 1] == 32 || line[to - 1] == 9 { to -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[from..<to])
    }

    /// Whether `bytes` equals `lowercase` (ASCII, lowercase) ignoring ASCII case.
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        equalsIgnoringCase(
            bytes, UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount))
    }

    /// Whether `bytes` equals `lowercase` (ASCII, lowercase) ignoring ASCII case.
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: UnsafeRawBufferPointer) -> Bool
    {
        bytes.count == lowercase.count
            && zip(bytes, lowercase).allSatisfy { $0 == $1 || ((97...122).contains($1) && $0 == $1 - 32) }
    }

    /// The decimal number `digits` spells (at most 18 digits); nil for anything else.
    private static func decimal(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard (48...57).contains(digit) else { return nil }
            value = value * 10 + Int(digit - 48)
        }
        return value
    }
}
