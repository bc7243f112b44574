import Torus

/// A soak client that never reads: it connects, sends bursts of requests until the server
/// stops taking them (a send waits more than ``stallTimeout``: the server's answers filled
/// the socket buffers and it pushed back) or ``maximumBursts`` have gone, then holds the
/// connection open, unread, until the soak ends, and closes it with its unread bytes (a
/// reset). A server must keep such a peer's memory bounded, and still let go of it.
final class StalledClient {
    /// How many stalled clients each server gets, beside the churning ones.
    static let perServer = 4
    /// The most bursts (``burstSize`` bytes each) one stalled client sends: 64 MiB.
    static let maximumBursts = 1024
    /// How long a send may wait before the client takes it that the server pushes back.
    static let stallTimeout = Duration.seconds(1)

    private let address: SocketAddress
    private let session: any SoakSession
    private let tally: SoakTally
    private let deadline: ContinuousClock.Instant

    /// A client of the server at `address` that stalls until `deadline`, sending
    /// `session`'s requests; what fails goes to `tally`.
    init(to address: SocketAddress, session: any SoakSession, tally: SoakTally, until deadline: ContinuousClock.Instant)
    {
        self.address = address
        self.session = session
        self.tally = tally
        self.deadline = deadline
    }

    /// Connects, sends until the server pushes back, waits for the deadline and closes;
    /// on the loop it connects from.
    func run() async {
        do {
            let connection = try await TCPConnection.connect(to: address, timeout: operationTimeout)
            tally.connected()
            do {
                try await sendUntilPushedBack(over: connection)
                try await connection.loop.sleep(until: deadline)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch {
            tally.failed(error)
        }
    }

    /// Sends bursts until one waits more than ``stallTimeout`` (the push-back this client
    /// is for), ``maximumBursts`` have gone, or the deadline has passed.
    private func sendUntilPushedBack(over connection: TCPConnection) async throws {
        do {
            for _ in 0..<Self.maximumBursts where ContinuousClock.now < deadline {
                try await session.sendBurst(over: connection, timeout: Self.stallTimeout)
            }
        } catch let error as TorusError where error.reason == .timedOut {
            tally.wasPushedBack()
        }
    }
}
