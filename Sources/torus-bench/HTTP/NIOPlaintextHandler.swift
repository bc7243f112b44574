import NIOCore
import NIOHTTP1

/// The SwiftNIO plaintext handler, the idiomatic NIOHTTP1 way: behind
/// `configureHTTPServerPipeline` (which keeps the connection alive and honours
/// `Connection: close`), each request's end is answered with a head, the
/// `Hello, World!` body and an end, flushed when the read burst ends.
final class NIOPlaintextHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The body, allocated once per connection.
    private var body: ByteBuffer?

    /// Builds the plaintext pipeline on `channel` (on its event loop).
    static func configure(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(NIOPlaintextHandler())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = self.body ?? context.channel.allocator.buffer(string: plaintextBody)
        self.body = body
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain")
        headers.add(name: "content-length", value: String(body.readableBytes))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
