import NIOCore
import NIOEmbedded
import NIOHTTP1

/// NIOHTTP1's encoder and llhttp-based decoder, driven by hand: an `EmbeddedChannel`
/// holds the two handlers, bytes read from a Torus socket go in as inbound data, and
/// HTTP parts come out (and the other way round for what is sent).
///
/// Not Sendable: NIO's embedded loop must be used on the thread that made it, so a
/// codec is created and used only on one Torus loop's thread (the HTTP types check).
final class HTTPCodec<Inbound, Outbound> {
    private let channel = EmbeddedChannel()

    private init(handlers: [any ChannelHandler]) throws {
        try channel.pipeline.syncOperations.addHandlers(handlers)
    }

    /// Closes the channel: its pipeline and the handlers' contexts refer to each other,
    /// and only closing breaks that cycle (without it every codec, one per exchange and
    /// per served connection, leaked its channel and buffers: found by `make test-asan`).
    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// Encodes `parts` into the bytes to send.
    func encode(_ parts: [Outbound]) throws -> [UInt8] {
        for part in parts { try channel.writeOutbound(part) }
        var bytes: [UInt8] = []
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { bytes += buffer.readableBytesView }
        }
        return bytes
    }

    /// Feeds bytes received; returns the parts they complete.
    /// - Throws: NIO's `HTTPParserError` when the bytes are not valid HTTP/1.
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Inbound] {
        let (parts, error) = decodeKeepingParts(bytes)
        if let error { throw error }
        return parts
    }

    /// Feeds bytes received; returns the parts they complete and, when the bytes turned
    /// out not to be valid HTTP/1, the parser's error. Unlike ``decode(_:)`` the parts
    /// decoded before the error are kept (a complete response followed by garbage).
    func decodeKeepingParts(_ bytes: UnsafeRawBufferPointer) -> (parts: [Inbound], error: (any Error)?) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        var failure: (any Error)?
        do { try channel.writeInbound(buffer) } catch { failure = error }
        var parts: [Inbound] = []
        while let part = try? channel.readInbound(as: Inbound.self) { parts.append(part) }
        return (parts, failure)
    }

    /// Tells the decoder the peer closed: ends a close-delimited body, or throws when a
    /// message was cut short.
    func endOfStream() throws -> [Inbound] {
        channel.pipeline.fireChannelInactive()
        try channel.throwIfErrorCaught()
        return try drainInbound()
    }

    /// Whether the decoder stands between two messages: no byte of a further message was
    /// fed after the last one ended. Ends the decoder (it asks the parser whether an end
    /// of stream would be clean), so the codec cannot be used afterwards.
    func finishBetweenMessages() -> Bool {
        guard let parts = try? endOfStream() else { return false }
        return parts.isEmpty
    }

    private func drainInbound() throws -> [Inbound] {
        var parts: [Inbound] = []
        while let part = try channel.readInbound(as: Inbound.self) { parts.append(part) }
        return parts
    }
}

extension HTTPCodec where Inbound == HTTPClientResponsePart, Outbound == HTTPClientRequestPart {
    /// A client's codec: requests out, responses in (the decoder sees each request head,
    /// so a response to HEAD has no body). Headers larger than `maxHeaderSize` bytes fail.
    convenience init(maxHeaderSize: Int) throws {
        try self.init(handlers: [
            HTTPRequestEncoder(),
            ByteToMessageHandler(HTTPResponseDecoder(limitConfiguration: .headers(upTo: maxHeaderSize))),
        ])
    }
}

extension HTTPCodec where Inbound == HTTPServerRequestPart, Outbound == HTTPServerResponsePart {
    /// A server's codec: requests in, responses out. Headers larger than `maxHeaderSize`
    /// bytes fail.
    convenience init(maxHeaderSize: Int) throws {
        try self.init(handlers: [
            HTTPResponseEncoder(),
            ByteToMessageHandler(HTTPRequestDecoder(limitConfiguration: .headers(upTo: maxHeaderSize))),
        ])
    }
}

extension NIOHTTPDecoderLimitConfiguration {
    /// Limits that fail a message whose header fields, or whose whole header block, pass
    /// `bytes`.
    static func headers(upTo bytes: Int) -> Self {
        var limits = Self()
        limits.maxHeaderFieldSize = bytes
        limits.maxHeaderListSize = bytes
        return limits
    }
}
