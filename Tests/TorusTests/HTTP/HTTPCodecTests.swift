import NIOHTTP1
import Testing

import TorusHTTP

/// The codec's `EmbeddedChannel` and its pipeline hold each other until the channel is
/// closed: a codec dropped without closing it kept both, with their handlers and
/// buffers, for the life of the process. `torus-bench soak` showed it as an HTTPServer
/// whose RSS grew with every connection (38.8 to 50.2 MB in 90 s, both reactors).
@Suite(.descriptorGate) struct HTTPCodecTests {
    @Test func aDroppedCodecLetsGoOfItsChannel() throws {
        weak var serverChannel: AnyObject?
        weak var clientChannel: AnyObject?
        do {
            let server = try HTTPCodec<HTTPServerRequestPart, HTTPServerResponsePart>(maxHeaderSize: 1024)
            let client = try HTTPCodec<HTTPClientResponsePart, HTTPClientRequestPart>(maxHeaderSize: 1024)
            serverChannel = server.channel
            clientChannel = client.channel
            let request = Array("GET / HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
            let parts = try request.withUnsafeBytes { try server.decode($0) }
            #expect(parts.count == 2)  // head, end
        }
        #expect(serverChannel == nil)
        #expect(clientChannel == nil)
    }
}
