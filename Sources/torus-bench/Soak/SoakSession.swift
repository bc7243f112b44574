import Torus

/// One soak client's side of a scenario (echo, HTTP): its buffers, and the two halves of
/// an exchange, so that a client can also send a request and then abandon it (reset the
/// connection, or never read). Every wait is bounded: reads by ``operationTimeout``,
/// sends by the caller's timeout.
protocol SoakSession: AnyObject {
    /// Sends one request (an echo message, an HTTP request), waiting at most `timeout`
    /// for the socket to take it.
    func sendRequest(over connection: TCPConnection, timeout: Duration) async throws
    /// Sends ``burstSize`` bytes of requests in one write, waiting at most `timeout` for
    /// the socket to take them: what a client that never reads (``StalledClient``) sends,
    /// so that it fills the buffers between it and the server in a few writes.
    func sendBurst(over connection: TCPConnection, timeout: Duration) async throws
    /// Reads the whole answer to the request sent last and checks every byte of it;
    /// throws ``SoakError`` when it is wrong or the server closed early.
    func receiveAnswer(over connection: TCPConnection) async throws
}

/// How long a soak client waits for any one operation (connect, a send, a read) before
/// counting it as an error: far beyond any latency of a healthy server, so a timeout
/// means a hung connection, and no load loop outlives the soak by more than this.
let operationTimeout = Duration.seconds(10)

/// The size of one ``SoakSession/sendBurst(over:timeout:)``, about: 64 KiB.
let burstSize = 65_536

/// What a soak client found wrong with an answer.
enum SoakError: Error, CustomStringConvertible {
    /// The server closed the connection before the whole answer arrived.
    case closedEarly(received: Int, expected: Int)
    /// A byte of the answer differs from what was expected, at this offset.
    case wrongByte(offset: Int)
    /// An HTTP answer that is not `200` with the plaintext body, or has bytes after it.
    case badResponse(String)

    var description: String {
        switch self {
        case .closedEarly(let received, let expected): "closed after \(received) of \(expected) bytes"
        case .wrongByte(let offset): "wrong byte at offset \(offset)"
        case .badResponse(let why): "bad HTTP response: \(why)"
        }
    }
}
