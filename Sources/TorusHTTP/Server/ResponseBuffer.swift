import HTTPTypes

/// The bytes of the responses a connection is about to send: heads encoded in place, and
/// bodies copied after them, so a burst of pipelined responses goes out in one write.
/// Reused for every response; grows as needed, and lets go of what passes 64 KiB once
/// it is sent (so responses up to that size cost no allocation).
struct ResponseBuffer: ~Copyable {
    private var memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0
    /// The capacity it returns to after sending more than ``largestKept``.
    private let restingCapacity: Int
    /// The largest capacity kept between responses.
    private static let largestKept = 64 * 1024

    init(capacity: Int) {
        memory = .allocate(byteCount: capacity, alignment: 16)
        restingCapacity = capacity
    }

    deinit { memory.deallocate() }

    /// The encoded bytes, valid until the next change.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: memory[..<count]) }

    /// Forgets the bytes (they were sent), letting an outsized buffer go.
    mutating func removeAll() {
        count = 0
        if memory.count > max(restingCapacity, Self.largestKept) {
            memory.deallocate()
            memory = .allocate(byteCount: restingCapacity, alignment: 16)
        }
    }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > memory.count else { return }
        var capacity = memory.count
        while capacity < count + extra { capacity *= 2 }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        grown.baseAddress!.copyMemory(from: memory.baseAddress!, byteCount: count)
        memory.deallocate()
        memory = grown
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserve(bytes.count)
        (memory.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// `value` in decimal.
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0)
        reserve(20)
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var remaining = value
        for position in stride(from: count + digits - 1, through: count, by: -1) {
            memory[position] = UInt8(48 + remaining % 10)
            remaining /= 10
        }
        count += digits
    }

    /// `HTTP/1.1 <code> <reason>` and its CRLF.
    mutating func appendStatusLine(_ status: HTTPResponse.Status) {
        append("HTTP/1.1 ")
        appendDecimal(status.code)
        append(" ")
        append(status.reasonPhrase)
        append("\r\n")
    }

    /// How a response's body is delimited.
    enum Framing {
        /// No body and no Content-Length (1xx, 204).
        case none
        case length(Int)
        case chunked
    }

    /// A response head: the status line, the handler's fields but the ones that frame
    /// the message or steer the connection (the server's own), then the framing field,
    /// Date and, when `closing`, `Connection: close`.
    mutating func appendHead(
        status: HTTPResponse.Status, fields: HTTPFields, framing: Framing, date: HTTPDate, closing: Bool
    ) {
        appendStatusLine(status)
        var hasDate = false
        for field in fields {
            switch field.name {
            case .contentLength, .connection, .transferEncoding: continue
            case .date: hasDate = true
            default: break
            }
            append(field.name.rawName)
            append(": ")
            append(field.value)
            append("\r\n")
        }
        switch framing {
        case .none:
            break
        case .length(let length):
            append("Content-Length: ")
            appendDecimal(length)
            append("\r\n")
        case .chunked:
            append("Transfer-Encoding: chunked\r\n")
        }
        if !hasDate { date.withCurrentField { append($0) } }
        if closing { append("Connection: close\r\n") }
        append("\r\n")
    }
}
