/// Puts an absolute URL in the normal form of RFC 3986 sections 6.2.2 and 6.2.3, so
/// that URLs naming the same resource compare equal in the crawler's seen-set:
///
/// - the scheme and host are lower-cased;
/// - percent-encodings get upper-case hex, and those of unreserved characters
///   (ALPHA / DIGIT / "-" / "." / "_" / "~") are decoded;
/// - dot segments are removed from the path (RFC 3986 section 5.2.4);
/// - an empty port, and the default port (80 for http, 443 for https), are dropped;
/// - with an authority, an empty path becomes "/"; without one, a path starting "//"
///   gets "/." in front;
/// - the fragment is dropped.
///
/// `HTTP://Example.COM:80/a/./b/../%7euser#top` becomes `http://example.com/a/~user`.
/// Everything else (user info, query, a malformed `%`) is kept as written, but for its
/// percent-encodings.
public enum URLNormalizer {
    /// The normal form of `url`, or nil if it does not start with a scheme (`ALPHA
    /// *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
    public static func normalize(_ url: String) -> String? {
        // Most links a crawl finds are in normal form already: one pass over the bytes
        // says so, and the string is returned as it is (the crawler's hottest call).
        if isNormal(url) { return url }
        return normalizeSlowly(url)
    }

    /// Whether `url` is certainly in normal form: `scheme://host[:port]/path[?query]`, all
    /// printable ASCII, the scheme and host lower-case letters, digits and `.+-`, no user
    /// information, no default or empty port, no `%`, no fragment, no dot segment.
    /// False means "maybe not" (``normalizeSlowly(_:)`` then decides).
    package static func isNormal(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { bytes in
            var index = 0
            // The scheme: a lower-case letter, then lower-case letters, digits, "+-.".
            guard let first = bytes.first, (97...122).contains(first) else { return false }
            while index < bytes.count, isLowerSchemeByte(bytes[index]) { index += 1 }
            let schemeEnd = index
            guard bytes.count > index + 3, bytes[index] == 58, bytes[index + 1] == 47, bytes[index + 2] == 47 else {
                return false
            }
            index += 3
            // The host: lower-case letters, digits, "-" and ".", not empty.
            let hostStart = index
            while index < bytes.count, isLowerHostByte(bytes[index]) { index += 1 }
            guard index > hostStart, index < bytes.count else { return false }
            if bytes[index] == 58 {
                // A port: digits, not empty, not the scheme's default.
                let portStart = index + 1
                index = portStart
                while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
                let port = UnsafeBufferPointer(rebasing: bytes[portStart..<index])
                let scheme = UnsafeBufferPointer(rebasing: bytes[..<schemeEnd])
                if port.isEmpty || (scheme.elementsEqual("http".utf8) && port.elementsEqual("80".utf8))
                    || (scheme.elementsEqual("https".utf8) && port.elementsEqual("443".utf8))
                {
                    return false
                }
                guard index < bytes.count else { return false }
            }
            // The path: "/" first; no "." or ".." segment; then the query. No "%" or "#"
            // anywhere, and printable ASCII only.
            guard bytes[index] == 47 else { return false }
            var segmentStart = index + 1
            var inQuery = false
            while index < bytes.count {
                let byte = bytes[index]
                guard byte > 32, byte < 127, byte != 37, byte != 35 else { return false }
                if !inQuery, byte == 47 || byte == 63 {
                    if index > 0, isDotSegment(bytes, segmentStart, index) { return false }
                    segmentStart = index + 1
                    inQuery = byte == 63
                }
                index += 1
            }
            return inQuery || !isDotSegment(bytes, segmentStart, index)
        }
    }

    /// Whether bytes `start..<end` are "." or "..".
    private static func isDotSegment(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        (end - start == 1 && bytes[start] == 46) || (end - start == 2 && bytes[start] == 46 && bytes[start + 1] == 46)
    }

    private static func isLowerSchemeByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (48...57).contains(byte) || byte == 43 || byte == 45 || byte == 46
    }

    private static func isLowerHostByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 46
    }

    /// The normal form of `url` worked out in full (``normalize(_:)`` without its fast path).
    package static func normalizeSlowly(_ url: String) -> String? {
        var rest = Substring(url.prefix { $0 != "#" })
        guard let colon = rest.firstIndex(of: ":"), isScheme(rest[..<colon]) else { return nil }
        let scheme = rest[..<colon].lowercased()
        rest = rest[rest.index(after: colon)...]
        var result = scheme + ":"
        let hasAuthority = rest.hasPrefix("//")
        if hasAuthority {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            result += "//" + authority(rest[..<end], scheme: scheme)
            rest = rest[end...]
        }
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let path = removeDotSegments(percentNormalized(rest[..<queryStart]))
        if hasAuthority {
            result += path.isEmpty ? "/" : path
        } else {
            // Without an authority, a path starting "//" would read as one the next time:
            // "/." keeps it a path (RFC 3986 section 5.2.4's note).
            result += path.hasPrefix("//") ? "/." + path : path
        }
        if queryStart < rest.endIndex { result += percentNormalized(rest[queryStart...]) }
        return result
    }

    /// `[userinfo@]host[:port]` with the host lower-cased (but its percent-encodings'
    /// hex upper-cased) and an empty or default port dropped.
    private static func authority(_ authority: Substring, scheme: String) -> String {
        var userInfo = ""
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = percentNormalized(authority[...at])
            hostPort = authority[authority.index(after: at)...]
        }
        // The port follows the first ":" after the host: after an IP literal's "]" (an
        // unclosed "[" has no port), else the first (a host name has no ":"). Taking the
        // last ":", or one inside an unclosed "[", would split the normal form again.
        var host = hostPort
        var port: Substring = ""
        let hostEnd =
            hostPort.hasPrefix("[")
            ? hostPort.firstIndex(of: "]").map { hostPort.index(after: $0) } ?? hostPort.endIndex
            : hostPort.startIndex
        if let colon = hostPort[hostEnd...].firstIndex(of: ":") {
            host = hostPort[..<colon]
            port = hostPort[hostPort.index(after: colon)...]
        }
        var result = userInfo + lowercasedOutsideEscapes(percentNormalized(host))
        if !port.isEmpty && port != defaultPorts[scheme] { result += ":" + port }
        return result
    }

    /// The default port of each scheme whose default port is dropped.
    private static let defaultPorts: [String: Substring] = ["http": "80", "https": "443"]

    /// Whether `text` is a scheme: a letter, then letters, digits, `+`, `-` or `.`.
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, isAlpha(first) else { return false }
        return text.unicodeScalars.allSatisfy { isAlpha($0) || isDigit($0) || "+-.".unicodeScalars.contains($0) }
    }

    /// `text` with each `%XX` of an unreserved character decoded (unless that would make a
    /// new escape of a stray `%`) and every other `%XX` written with upper-case hex; a `%`
    /// not followed by two hex digits is kept.
    static func percentNormalized(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                let value = high << 4 | low
                if isUnreserved(Unicode.Scalar(value)) && !completesEscape(out, with: value) {
                    out.append(value)
                } else {
                    out += [UInt8(ascii: "%"), hexDigits[Int(high)], hexDigits[Int(low)]]
                }
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether appending `byte` to `out` would end it in a `%XX` that was not an escape
    /// (a stray `%`, then hex digits): decoding `%33` after `%a` would, and the next
    /// normalization would decode that, so such an escape is kept.
    private static func completesEscape(_ out: [UInt8], with byte: UInt8) -> Bool {
        guard hexValue(byte) != nil else { return false }
        if out.last == UInt8(ascii: "%") { return true }
        return out.count >= 2 && out[out.count - 2] == UInt8(ascii: "%") && hexValue(out[out.count - 1]) != nil
    }

    /// `text` lower-cased but for the hex digits of its percent-encodings.
    private static func lowercasedOutsideEscapes(_ text: String) -> String {
        var out = ""
        var escapeLeft = 0
        for character in text {
            if escapeLeft > 0 {
                out.append(character)
                escapeLeft -= 1
            } else {
                if character == "%" { escapeLeft = 2 }
                out += character.lowercased()
            }
        }
        return out
    }

    /// `path` with its `.` and `..` segments removed, as RFC 3986 section 5.2.4's
    /// `remove_dot_segments`.
    static func removeDotSegments(_ path: String) -> String {
        var input = Substring(path)
        var output: [Substring] = []
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input = input.dropFirst(3)
            } else if input.hasPrefix("./") || input.hasPrefix("/./") {
                input = input.dropFirst(2)
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") || input == "/.." {
                input = "/" + input.dropFirst(input == "/.." ? 3 : 4)
                if !output.isEmpty { output.removeLast() }
            } else if input == "." || input == ".." {
                input = ""
            } else {
                // Move the first segment (with its leading "/", if any) to the output.
                let searchStart = input.hasPrefix("/") ? input.index(after: input.startIndex) : input.startIndex
                let end = input[searchStart...].firstIndex(of: "/") ?? input.endIndex
                output.append(input[..<end])
                input = input[end...]
            }
        }
        return output.joined()
    }

    /// Whether `scalar` is unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ scalar: Unicode.Scalar) -> Bool {
        isAlpha(scalar) || isDigit(scalar) || "-._~".unicodeScalars.contains(scalar)
    }

    /// Whether `scalar` is an ASCII letter.
    private static func isAlpha(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// Whether `scalar` is an ASCII digit.
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    /// The value of an ASCII hex digit, or nil.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Upper-case hex digits, by value.
    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
