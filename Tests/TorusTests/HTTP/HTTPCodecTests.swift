import NIOHTTP1
import Testing

import TorusHTTP

/// The codec's embedded channel is released with the codec (found by LeakSanitizer
/// under `make fuzz`: every request and every served connection leaked one).
@Suite struct HTTPCodecTests {
    @Test func aCodecReleasesItsChannel() throws {
        weak var channel: AnyObject?
        do {
            let codec = try HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>(maxHeaderSize: 1024)
            channel = codec.channel
            let parts = try Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8).withUnsafeBytes { try codec.decode($0) }
            #expect(parts.count == 2)
        }
        #expect(channel == nil)
    }
}
