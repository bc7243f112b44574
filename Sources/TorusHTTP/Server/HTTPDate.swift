import Glibc

/// The `Date` field every response carries (RFC 9110 section 6.6.1), formatted once per
/// second (IMF-fixdate) rather than per response.
///
/// `@unchecked Sendable`: loop-confined. One server's connection tasks all run on its
/// listener's loop thread, and only they use it.
final class HTTPDate: @unchecked Sendable {
    private var second = -1
    /// `Date: ... GMT\r\n`: 37 bytes, always.
    private var field = [UInt8](repeating: 0, count: 37)

    /// Calls `body` with the current second's `Date` field line, CRLF included.
    func withCurrentField<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let now = time(nil)
        if now != second { format(now) }
        return field.withUnsafeBytes(body)
    }

    private func format(_ now: time_t) {
        var now = now
        var parts = tm()
        gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 40)
        let length = strftime(&text, text.count, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &parts)
        // strftime's %a and %b follow the C locale, which a Swift program keeps unless it
        // calls setlocale itself: English names, as the format requires.
        guard length == field.count else { return }
        for index in 0..<length { field[index] = UInt8(bitPattern: text[index]) }
        second = Int(now)
    }
}
