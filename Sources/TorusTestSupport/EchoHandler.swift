import Torus

/// Sends back what arrives, without a task (``TCPConnection/serve(with:)``): the Torus
/// echo server of torus-bench (`serve echo`, the default connection API) and the tests'
/// echo peer. ``TCPConnection/send(_:)`` of the received bytes sends from their receive
/// buffer, without a copy; no allocation per round trip. A failed send ends the
/// connection, which then closes itself; `onFailure` hears it first
/// (a test records it, the benchmark ignores it).
public final class EchoHandler: ConnectionHandler, Sendable {
    private let onFailure: @Sendable (any Error) -> Void

    /// An echo handler that tells `onFailure` of every send that fails.
    public init(onFailure: @escaping @Sendable (any Error) -> Void) {
        self.onFailure = onFailure
    }

    /// Sends `bytes` straight back.
    public func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        do {
            try connection.send(bytes)
        } catch {
            onFailure(error)
        }
    }
}
