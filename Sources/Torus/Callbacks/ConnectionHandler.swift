/// What a connection served without a task calls: the callback layer for servers that
/// hold many connections (``TCPConnection/serve(with:)``), as a SwiftNIO
/// `ChannelInboundHandler` is.
///
/// Both methods run on the connection's loop thread, one at a time. A handler may be
/// shared by many connections (each call names its connection) or made per connection
/// to keep its state.
public protocol ConnectionHandler: AnyObject {
    /// Bytes arrived. They are valid only during the call (they sit in one of the loop's
    /// pooled receive buffers); ``TCPConnection/send(_:)`` of these very bytes sends them
    /// without a copy.
    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer)

    /// Receiving stopped, once per connection: at end of stream (`error` nil: the peer
    /// will send no more, though it may still read), or with the error that stopped it
    /// (a receive or send failure, `.closed` after a close, `.loopShutDown`).
    ///
    /// After this returns the connection closes once the bytes already sent have left
    /// (``TCPConnection/closeWhenSent()``), whatever the handler does: a last reply can
    /// still be sent from here. The default does nothing more.
    func connectionEnded(_ connection: TCPConnection, error: TorusError?)
}

extension ConnectionHandler {
    /// Nothing to do: the connection closes once what was sent has left.
    public func connectionEnded(_ connection: TCPConnection, error: TorusError?) {}
}
