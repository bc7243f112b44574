/// Decodes a chunked request body (RFC 9112 section 7.1) as its bytes arrive, handing out
/// the chunks' data in place; chunk extensions are checked and skipped, the trailer
/// section is checked (as field lines) and dropped. Never allocates.
struct ChunkedBodyDecoder {
    /// Where in the chunked coding the next byte falls.
    private enum State: Equatable {
        /// In a chunk-size line: the size so far and its hex digits.
        case size(Int, digits: Int)
        /// In a chunk extension (`;name[=value]` after the size), up to the CR: where in it.
        case sizeExtension(Int, ExtensionPart)
        /// After the size line's CR.
        case sizeLineFeed(Int)
        /// In a chunk's data: the bytes still to come.
        case data(Int)
        /// After a chunk's data: its CR, then its LF.
        case dataCarriageReturn
        case dataLineFeed
        /// At the start of a trailer line, or of the final blank line.
        case trailerLineStart
        /// In a trailer field line: its name so far (bytes), whether the colon was seen,
        /// and which framing field names the name still matches (``framingNames``).
        case trailerLine(nameLength: Int, sawColon: Bool, framing: UInt8)
        /// After a trailer line's CR; `blank` if it was the final empty line.
        case trailerLineFeed(blank: Bool)
        /// The last chunk and the trailer section are read.
        case done
    }

    /// The parts of `;name[=value]`, each a token (no whitespace, no quoted strings:
    /// stricter than the grammar, whose leniencies parsers read differently).
    private enum ExtensionPart: Equatable { case nameStart, name, valueStart, value }

    private var state = State.size(0, digits: 0)
    /// Trailer bytes read, bounded by the head limit.
    private var trailerBytes = 0
    let maxTrailerSize: Int

    init(maxTrailerSize: Int) { self.maxTrailerSize = maxTrailerSize }

    /// Whether the body has ended.
    var isFinished: Bool { state == .done }

    /// Decodes from the start of `bytes`: hands each run of chunk data to `data`, and
    /// returns how many bytes it consumed (all of them unless the body ended before).
    mutating func decode(
        _ bytes: UnsafeRawBufferPointer, data: (UnsafeRawBufferPointer) -> Void
    ) throws(HTTPRequestError) -> Int {
        var index = 0
        while index < bytes.count, state != .done {
            let byte = bytes[index]
            switch state {
            case .size(let size, let digits):
                if let digit = Self.hexValue(byte) {
                    // 15 hex digits stay below Int.max.
                    guard digits < 15 else { throw .malformed(.chunkSize) }
                    state = .size(size << 4 | digit, digits: digits + 1)
                } else if digits > 0, byte == UInt8(ascii: ";") {
                    state = .sizeExtension(size, .nameStart)
                } else if digits > 0, byte == HTTPBytes.cr {
                    state = .sizeLineFeed(size)
                } else {
                    throw .malformed(.chunkSize)
                }
                index += 1
            case .sizeExtension(let size, let part):
                let isToken = HTTPBytes.isTokenByte[Int(byte)]
                switch (part, byte) {
                case (.nameStart, _) where isToken, (.name, _) where isToken: state = .sizeExtension(size, .name)
                case (.valueStart, _) where isToken, (.value, _) where isToken: state = .sizeExtension(size, .value)
                case (.name, UInt8(ascii: "=")): state = .sizeExtension(size, .valueStart)
                case (.name, UInt8(ascii: ";")), (.value, UInt8(ascii: ";")): state = .sizeExtension(size, .nameStart)
                case (.name, HTTPBytes.cr), (.value, HTTPBytes.cr): state = .sizeLineFeed(size)
                default: throw .malformed(.chunkSize)
                }
                index += 1
            case .sizeLineFeed(let size):
                guard byte == HTTPBytes.lf else { throw .malformed(.chunkSize) }
                state = size == 0 ? .trailerLineStart : .data(size)
                index += 1
            case .data(let remaining):
                let count = min(remaining, bytes.count - index)
                data(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                state = remaining == count ? .dataCarriageReturn : .data(remaining - count)
            case .dataCarriageReturn:
                guard byte == HTTPBytes.cr else { throw .malformed(.chunkEnd) }
                state = .dataLineFeed
                index += 1
            case .dataLineFeed:
                guard byte == HTTPBytes.lf else { throw .malformed(.chunkEnd) }
                state = .size(0, digits: 0)
                index += 1
            case .trailerLineStart:
                state =
                    byte == HTTPBytes.cr
                    ? .trailerLineFeed(blank: true) : .trailerLine(nameLength: 0, sawColon: false, framing: 0b11)
                if byte == HTTPBytes.cr { index += 1 }
            case .trailerLine(let nameLength, let sawColon, let framing):
                if byte == HTTPBytes.cr {
                    guard sawColon else { throw .malformed(.trailer) }
                    state = .trailerLineFeed(blank: false)
                } else if sawColon {
                    guard HTTPBytes.isFieldValueByte(byte) else { throw .malformed(.trailer) }
                } else if byte == HTTPBytes.colon {
                    // A trailer cannot frame the message it ends (RFC 9110 section 6.5.1).
                    let named = Self.framingNames.indices.filter {
                        framing & (1 << $0) != 0 && Self.framingNames[$0].count == nameLength
                    }
                    guard nameLength > 0, named.isEmpty else { throw .malformed(.trailer) }
                    state = .trailerLine(nameLength: nameLength, sawColon: true, framing: 0)
                } else {
                    guard HTTPBytes.isTokenByte[Int(byte)] else { throw .malformed(.trailer) }
                    var still = framing
                    for (bit, name) in Self.framingNames.enumerated()
                    where nameLength >= name.count || name[nameLength] != HTTPBytes.lowercased(byte) {
                        still &= ~(1 << bit)
                    }
                    state = .trailerLine(nameLength: nameLength + 1, sawColon: false, framing: still)
                }
                index += 1
            case .trailerLineFeed(let blank):
                guard byte == HTTPBytes.lf else { throw .malformed(.trailer) }
                state = blank ? .done : .trailerLineStart
                index += 1
            case .done:
                break
            }
            if case .trailerLine = state {
                trailerBytes += 1
                guard trailerBytes <= maxTrailerSize else { throw .headTooLarge }
            }
        }
        return index
    }

    /// The field names that frame a message, refused in a trailer section.
    private static let framingNames: [[UInt8]] = [Array("transfer-encoding".utf8), Array("content-length".utf8)]

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
