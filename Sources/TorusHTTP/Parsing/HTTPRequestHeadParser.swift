import Glibc
import HTTPTypes

/// An HTTP/1.x request head parser (RFC 9112 section 2-3, 5-7) that works in place on the
/// bytes read so far and never allocates in steady state: fed the growing bytes of one
/// head, it parses each line once as it completes, and when the blank line arrives gives
/// the head: the method, where the target and each field are in those bytes, the body's
/// framing and whether the connection stays open.
///
/// It is strict where being lax lets a request be read two ways (request smuggling):
/// lines end in CRLF only, no space before a field's colon, no folded lines, no control
/// characters, Content-Length and Transfer-Encoding never together, one Content-Length,
/// `chunked` the only transfer coding, one Host on HTTP/1.1. What it accepts, SwiftNIO's
/// decoder (llhttp) accepts the same way; the `http-request-differential` fuzzer checks.
package struct HTTPRequestHeadParser {
    /// The limits a head must keep to.
    package struct Limits: Sendable {
        /// The largest head, request line and fields, in bytes (431 beyond).
        package var maxHeadSize = 16 * 1024
        /// The longest request target, in bytes (414 beyond).
        package var maxTargetLength = 8 * 1024
        /// The most field lines (431 beyond).
        package var maxFieldCount = 100
    }

    /// Where one field line's name and value are, as offsets from the head's start; the
    /// value without its surrounding spaces.
    package struct FieldLine: Equatable, Sendable {
        package var name: Range<Int>
        package var value: Range<Int>
    }

    /// How the body after the head is delimited (RFC 9112 section 6.3).
    package enum Framing: Equatable, Sendable {
        /// No body.
        case none
        /// `Content-Length` bytes.
        case length(Int)
        /// Chunked transfer coding, up to its last chunk and trailer section.
        case chunked
    }

    /// A whole head; offsets count from its first byte.
    package struct Head: Equatable, Sendable {
        /// Bytes through the blank line; the body (or the next request) starts here.
        package var length: Int
        package var method: HTTPRequest.Method
        /// The request target.
        package var target: Range<Int>
        /// HTTP/1.0 rather than 1.1.
        package var isHTTP10: Bool
        package var framing: Framing
        /// Whether the connection may carry another request after this one.
        package var keepAlive: Bool
        /// `Expect: 100-continue`: the client waits for a 100 (or the final answer)
        /// before it sends the body.
        package var expectsContinue: Bool
        /// The Host field's value, if any.
        package var host: Range<Int>?
    }

    /// What the bytes so far amount to.
    package enum Outcome: Equatable {
        case incomplete
        case complete(Head)
        case failed(HTTPRequestError)
    }

    package let limits: Limits
    /// The field lines of the head being parsed, in order (capacity kept between heads).
    package private(set) var fields: [FieldLine] = []

    /// Where the next line starts; bytes before it are parsed.
    private var lineStart = 0
    /// The request line, once parsed.
    private var requestLine: (method: HTTPRequest.Method, target: Range<Int>, isHTTP10: Bool)?
    private var contentLength: Int?
    /// `Transfer-Encoding: chunked` was seen (any other coding is refused at once).
    private var chunked = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false
    private var hostCount = 0
    private var host: Range<Int>?

    package init(limits: Limits = Limits()) {
        self.limits = limits
        fields.reserveCapacity(16)
    }

    /// Forgets the head parsed, ready for the next one (its bytes start a new offset 0).
    package mutating func reset() {
        fields.removeAll(keepingCapacity: true)
        lineStart = 0
        requestLine = nil
        contentLength = nil
        chunked = false
        connectionClose = false
        connectionKeepAlive = false
        expectsContinue = false
        hostCount = 0
        host = nil
    }

    /// Parses the head at the start of `bytes`: everything read of it so far, the same
    /// bytes as in the last call plus any that arrived since. Once it returns
    /// `.complete` or `.failed`, call ``reset()`` before the next head.
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        while lineStart < bytes.count {
            let searched = UnsafeRawBufferPointer(rebasing: bytes[lineStart...])
            guard let found = memchr(searched.baseAddress!, Int32(HTTPBytes.lf), searched.count) else {
                return incompleteLine(bytes)
            }
            let lineFeed = lineStart + (UnsafeRawPointer(found) - searched.baseAddress!)
            guard lineFeed > lineStart, bytes[lineFeed - 1] == HTTPBytes.cr else {
                return .failed(.malformed(.lineEnding))
            }
            let line = lineStart..<(lineFeed - 1)
            lineStart = lineFeed + 1
            if lineStart > limits.maxHeadSize {
                return .failed(
                    requestLine == nil && line.count > limits.maxTargetLength ? .targetTooLong : .headTooLarge)
            }
            if let failure = parseLine(bytes, line) { return .failed(failure) }
            if requestLine != nil, line.isEmpty { return finish() }
        }
        return incompleteLine(bytes)
    }

    /// `.incomplete`, or why the unfinished line at the end of `bytes` can no longer
    /// make a valid head: a byte no valid line has there, or a limit already passed. So
    /// garbage is refused as it arrives, as a streaming parser refuses it, rather than
    /// waited on until the head timeout.
    private func incompleteLine(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart...])
        if let problem = requestLine == nil ? Self.requestLinePrefixProblem(line) : fieldLinePrefixProblem(line) {
            return .failed(problem)
        }
        if requestLine == nil, line.count > limits.maxTargetLength + 32 { return .failed(.targetTooLong) }
        return bytes.count > limits.maxHeadSize ? .failed(.headTooLarge) : .incomplete
    }

    /// Why `line`, the start of a request line (or of an empty line before one), cannot
    /// become a valid one, if it cannot.
    private static func requestLinePrefixProblem(_ line: UnsafeRawBufferPointer) -> HTTPRequestError? {
        if line.count == 1, line[0] == HTTPBytes.cr { return nil }
        if let carriageReturn = line.firstIndex(of: HTTPBytes.cr), carriageReturn < line.count - 1 {
            return .malformed(.lineEnding)
        }
        let methodEnd = line.firstIndex(of: HTTPBytes.space) ?? line.count
        if methodEnd == 0, !line.isEmpty { return .malformed(.requestLine) }
        let method = UnsafeRawBufferPointer(rebasing: line[..<methodEnd])
        guard
            methods.contains(where: { name, _ in
                method.count <= name.utf8CodeUnitCount && memcmp(method.baseAddress!, name.utf8Start, method.count) == 0
            })
        else { return method.allSatisfy { HTTPBytes.isTokenByte[Int($0)] } ? .unknownMethod : .malformed(.requestLine) }
        guard methodEnd < line.count else { return nil }
        // The method is whole now.
        guard let known = knownMethod(method) else { return .unknownMethod }
        var index = methodEnd + 1
        while index < line.count, HTTPBytes.isTargetByte(line[index]) { index += 1 }
        if !isTargetPrefix(UnsafeRawBufferPointer(rebasing: line[(methodEnd + 1)..<index])) {
            return .malformed(.requestTarget)
        }
        guard index < line.count else { return nil }
        guard index > methodEnd + 1, line[index] == HTTPBytes.space else { return .malformed(.requestLine) }
        // The target is whole now.
        guard isValidTarget(UnsafeRawBufferPointer(rebasing: line[(methodEnd + 1)..<index]), for: known) else {
            return .malformed(.requestTarget)
        }
        // What follows must still be able to become `HTTP/d.d` (then CR).
        let version = line[(index + 1)...].prefix { $0 != HTTPBytes.cr }
        let pattern = versionPattern
        if line.last == HTTPBytes.cr, version.count != pattern.count { return .malformed(.requestLine) }
        for (offset, byte) in version.enumerated() {
            guard offset < pattern.count else { return .malformed(.requestLine) }
            let matches = pattern[offset] == 48 ? (48...57).contains(byte) : byte == pattern[offset]
            if !matches { return .malformed(.requestLine) }
        }
        if version.count == pattern.count, versionMinor(UnsafeRawBufferPointer(rebasing: version))! > 1 {
            return .unsupportedVersion
        }
        return nil
    }

    /// What a version must look like, `0` standing for any digit.
    private static let versionPattern = Array("HTTP/0.0".utf8)

    /// The one transfer coding served.
    private static let chunkedCoding = Array("chunked".utf8)

    /// Whether `target` can still become a valid request target: a path, `*`, or an
    /// absolute URI (a scheme of letters, then `://`).
    private static func isTargetPrefix(_ target: UnsafeRawBufferPointer) -> Bool {
        guard let first = target.first, first != UInt8(ascii: "/") else { return true }
        if first == UInt8(ascii: "*") { return target.count == 1 }
        let scheme = target.firstIndex(of: HTTPBytes.colon) ?? target.count
        guard scheme > 0, target[..<scheme].allSatisfy(isSchemeByte)
        else { return false }
        let slashes = target[min(scheme + 1, target.count)...].prefix(2)
        guard slashes.allSatisfy({ $0 == UInt8(ascii: "/") }) else { return false }
        // The authority (up to the path or query).
        let authority = target[min(scheme + 3, target.count)...].prefix {
            $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?")
        }
        return isAuthorityPrefix(UnsafeRawBufferPointer(rebasing: authority))
    }

    /// Whether `authority` can still become `host [":" port]`, host a name (letters,
    /// digits, `-._~`) or a bracketed IPv6 literal: narrower than RFC 3986 (no user
    /// information, which RFC 9110 section 4.2.4 forbids, nor percent-encoded names),
    /// as llhttp is narrower.
    private static func isAuthorityPrefix(_ authority: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        if authority.first == UInt8(ascii: "[") {
            index = 1
            while index < authority.count, authority[index] != UInt8(ascii: "]") {
                let byte = authority[index]
                guard Self.isHexDigit(byte) || byte == HTTPBytes.colon || byte == UInt8(ascii: ".") else {
                    return false
                }
                index += 1
            }
            guard index < authority.count else { return true }
            index += 1
        } else {
            while index < authority.count, authority[index] != HTTPBytes.colon {
                let byte = authority[index]
                let isNameByte =
                    (97...122).contains(HTTPBytes.lowercased(byte)) || (48...57).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: "~")
                guard isNameByte else { return false }
                index += 1
            }
        }
        guard index < authority.count else { return true }
        guard authority[index] == HTTPBytes.colon else { return false }
        return authority[(index + 1)...].allSatisfy { (48...57).contains($0) }
    }

    /// Whether `byte` may appear in a URI scheme: letters only, stricter than RFC 3986's
    /// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), as llhttp is (no served scheme needs more).
    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (97...122).contains(HTTPBytes.lowercased(byte))
    }

    /// Whether `name` is Content-Length or Transfer-Encoding.
    private static func isFramingFieldName(_ name: UnsafeRawBufferPointer) -> Bool {
        HTTPBytes.equalsIgnoringCase(name, "content-length") || HTTPBytes.equalsIgnoringCase(name, "transfer-encoding")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(HTTPBytes.lowercased(byte))
    }

    /// Why `line`, the start of a field line (or of the blank line), cannot become a
    /// valid one, if it cannot.
    private func fieldLinePrefixProblem(_ line: UnsafeRawBufferPointer) -> HTTPRequestError? {
        guard let first = line.first else { return nil }
        if first == HTTPBytes.space || first == HTTPBytes.tab { return .malformed(.obsoleteLineFolding) }
        if let carriageReturn = line.firstIndex(of: HTTPBytes.cr), carriageReturn < line.count - 1 {
            return .malformed(.lineEnding)
        }
        let colon = line.firstIndex(of: HTTPBytes.colon) ?? line.count
        let nameEnd = min(colon, line.last == HTTPBytes.cr ? line.count - 1 : line.count)
        guard line[..<nameEnd].allSatisfy({ HTTPBytes.isTokenByte[Int($0)] }) else { return .malformed(.fieldName) }
        if colon == 0 { return .malformed(.fieldName) }
        if colon < line.count {
            let value = line[(colon + 1)...].prefix { $0 != HTTPBytes.cr }
            guard value.allSatisfy(HTTPBytes.isFieldValueByte) else { return .malformed(.fieldValue) }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            if Self.isFramingFieldName(name),
                value.drop(while: { $0 == HTTPBytes.space || $0 == HTTPBytes.tab })
                    .contains(HTTPBytes.tab)
            {
                return .malformed(.contentLength)
            }
            if HTTPBytes.equalsIgnoringCase(name, "transfer-encoding") {
                if contentLength != nil { return .malformed(.lengthAndChunked) }
                if chunked { return .unsupportedTransferCoding }
                // Only `chunked` (then spaces) is served: anything else is refused as it comes.
                let coding = value.drop { $0 == HTTPBytes.space || $0 == HTTPBytes.tab }
                let word = coding.prefix { $0 != HTTPBytes.space }
                let chunked = Self.chunkedCoding
                guard word.count <= chunked.count, zip(word, chunked).allSatisfy({ HTTPBytes.lowercased($0) == $1 }),
                    word.count == coding.count || word.count == chunked.count
                else { return .unsupportedTransferCoding }
            }
            if HTTPBytes.equalsIgnoringCase(name, "content-length") {
                if chunked { return .malformed(.lengthAndChunked) }
                // OWS, digits, OWS; and only one such field.
                guard contentLength == nil else { return .malformed(.contentLength) }
                let digits = value.drop { $0 == HTTPBytes.space || $0 == HTTPBytes.tab }
                let rest = digits.drop { (48...57).contains($0) }
                guard rest.allSatisfy({ $0 == HTTPBytes.space }),
                    rest.count == 0 || digits.count > rest.count, digits.count - rest.count <= 18
                else { return .malformed(.contentLength) }
            }
        } else if line.last == HTTPBytes.cr, line.count > 1 {
            return .malformed(.fieldName)
        }
        return nil
    }

    /// Parses one line (without its CRLF); returns why it is refused, if it is. A whole
    /// line goes through the same checks as an unfinished one (with its CR, which ends
    /// it), so the rules live in one place; what is left here is taking it apart.
    private mutating func parseLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> HTTPRequestError? {
        let withCarriageReturn = UnsafeRawBufferPointer(rebasing: bytes[line.lowerBound..<(line.upperBound + 1)])
        guard requestLine != nil else {
            // Empty lines before the request line are ignored (RFC 9112 section 2.2).
            if line.isEmpty { return nil }
            if let problem = Self.requestLinePrefixProblem(withCarriageReturn) { return problem }
            switch Self.parseRequestLine(bytes, line, maxTargetLength: limits.maxTargetLength) {
            case .success(let parsed): requestLine = parsed
            case .failure(let error): return error
            }
            return nil
        }
        if line.isEmpty { return nil }
        if let problem = fieldLinePrefixProblem(withCarriageReturn) { return problem }
        return parseField(bytes, line)
    }

    /// `method SP request-target SP HTTP-version`, taken apart: ``requestLinePrefixProblem(_:)``
    /// has checked its form, so only the target's length is left to check.
    private static func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>, maxTargetLength: Int
    ) -> Result<(method: HTTPRequest.Method, target: Range<Int>, isHTTP10: Bool), HTTPRequestError> {
        let text = UnsafeRawBufferPointer(rebasing: bytes[line])
        guard let methodEnd = text.firstIndex(of: HTTPBytes.space),
            let versionSpace = text.lastIndex(of: HTTPBytes.space),
            let method = knownMethod(UnsafeRawBufferPointer(rebasing: text[..<methodEnd])),
            let minor = versionMinor(UnsafeRawBufferPointer(rebasing: text[(versionSpace + 1)...]))
        else { return .failure(.malformed(.requestLine)) }
        let target = (line.lowerBound + methodEnd + 1)..<(line.lowerBound + versionSpace)
        if target.count > maxTargetLength { return .failure(.targetTooLong) }
        return .success((method, target, minor == 0))
    }

    /// For `HTTP/1.x`, x; 10 for any other `HTTP/d.d` (not supported); nil for anything else
    /// (the protocol name is case-sensitive).
    private static func versionMinor(_ version: UnsafeRawBufferPointer) -> Int? {
        guard version.count == 8, version[..<5].elementsEqual("HTTP/".utf8), version[6] == UInt8(ascii: "."),
            (48...57).contains(version[5]), (48...57).contains(version[7])
        else { return nil }
        return version[5] == UInt8(ascii: "1") && version[7] <= UInt8(ascii: "1") ? Int(version[7] - 48) : 10
    }

    /// The methods served; any other is answered 501 (RFC 9110 section 9.1). CONNECT is
    /// a proxy's (the connection becomes a tunnel), so it is not among them.
    private static let methods: [(name: StaticString, method: HTTPRequest.Method)] = [
        ("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
        ("OPTIONS", .options), ("PATCH", .patch), ("TRACE", .trace),
    ]

    /// The method `bytes` names exactly (methods are case-sensitive), if it is served.
    private static func knownMethod(_ bytes: UnsafeRawBufferPointer) -> HTTPRequest.Method? {
        for (name, method) in methods where name.utf8CodeUnitCount == bytes.count {
            if memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0 { return method }
        }
        return nil
    }

    /// Whether `target` has the form `method` takes (RFC 9112 section 3.2): a path
    /// (origin-form) or an absolute URI, or `*` for OPTIONS.
    private static func isValidTarget(_ target: UnsafeRawBufferPointer, for method: HTTPRequest.Method) -> Bool {
        if target[0] == UInt8(ascii: "/") { return true }
        if target.count == 1, target[0] == UInt8(ascii: "*") { return method == .options }
        // An absolute URI: `scheme "://"` and at least one byte of authority.
        guard let colon = target.firstIndex(of: HTTPBytes.colon), target.count > colon + 3 else { return false }
        return isTargetPrefix(target)
    }

    /// `field-name ":" OWS field-value OWS`, taken apart (``fieldLinePrefixProblem(_:)``
    /// has checked its form), and what the head needs of it.
    private mutating func parseField(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> HTTPRequestError? {
        guard let colon = bytes[line].firstIndex(of: HTTPBytes.colon) else { return .malformed(.fieldName) }
        let value = HTTPBytes.trimmed(UnsafeRawBufferPointer(rebasing: bytes[(colon + 1)..<line.upperBound]))
        let valueStart = value.baseAddress.map { $0 - bytes.baseAddress! } ?? colon + 1
        guard fields.count < limits.maxFieldCount else { return .headTooLarge }
        let field = FieldLine(name: line.lowerBound..<colon, value: valueStart..<(valueStart + value.count))
        fields.append(field)
        return interpret(field, in: bytes)
    }

    /// Takes note of the fields that frame the message or steer the connection.
    private mutating func interpret(_ field: FieldLine, in bytes: UnsafeRawBufferPointer) -> HTTPRequestError? {
        let name = UnsafeRawBufferPointer(rebasing: bytes[field.name])
        let value = UnsafeRawBufferPointer(rebasing: bytes[field.value])
        switch name.count {
        case 4 where HTTPBytes.equalsIgnoringCase(name, "host"):
            hostCount += 1
            host = field.value
        case 6 where HTTPBytes.equalsIgnoringCase(name, "expect"):
            if HTTPBytes.equalsIgnoringCase(value, "100-continue") { expectsContinue = true }
        case 10 where HTTPBytes.equalsIgnoringCase(name, "connection"):
            var optionStart = 0
            for index in 0...value.count where index == value.count || value[index] == UInt8(ascii: ",") {
                let option = HTTPBytes.trimmed(UnsafeRawBufferPointer(rebasing: value[optionStart..<index]))
                if HTTPBytes.equalsIgnoringCase(option, "close") { connectionClose = true }
                if HTTPBytes.equalsIgnoringCase(option, "keep-alive") { connectionKeepAlive = true }
                optionStart = index + 1
            }
        case 14 where HTTPBytes.equalsIgnoringCase(name, "content-length"):
            // One field, all digits: a list or a repeat could be read two ways.
            if chunked { return .malformed(.lengthAndChunked) }
            guard contentLength == nil, !value.isEmpty, value.count <= 18,
                value.allSatisfy({ (48...57).contains($0) })
            else { return .malformed(.contentLength) }
            contentLength = value.reduce(0) { $0 * 10 + Int($1 - 48) }
        case 17 where HTTPBytes.equalsIgnoringCase(name, "transfer-encoding"):
            // `chunked`, once: any other coding (or chunked applied twice) is not served.
            if contentLength != nil { return .malformed(.lengthAndChunked) }
            guard !chunked, HTTPBytes.equalsIgnoringCase(value, "chunked") else { return .unsupportedTransferCoding }
            chunked = true
        default:
            break
        }
        return nil
    }

    /// The head, once its blank line has arrived, or why its framing is refused.
    private func finish() -> Outcome {
        guard let requestLine else { return .failed(.malformed(.requestLine)) }
        let framing: Framing
        if chunked {
            // Content-Length with it was refused as it came.
            if requestLine.isHTTP10 { return .failed(.malformed(.transferEncodingInHTTP10)) }
            framing = .chunked
        } else {
            framing = contentLength.map { $0 == 0 ? .none : .length($0) } ?? .none
        }
        if !requestLine.isHTTP10, hostCount != 1 { return .failed(.malformed(.host)) }
        if requestLine.isHTTP10, hostCount > 1 { return .failed(.malformed(.host)) }
        let keepAlive = !connectionClose && (!requestLine.isHTTP10 || connectionKeepAlive)
        return .complete(
            Head(
                length: lineStart, method: requestLine.method, target: requestLine.target,
                isHTTP10: requestLine.isHTTP10, framing: framing, keepAlive: keepAlive,
                expectsContinue: expectsContinue && !requestLine.isHTTP10, host: host))
    }
}
