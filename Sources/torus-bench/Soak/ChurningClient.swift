import Torus
import TorusTestSupport

/// One soak client with connection churn: connects, runs 1 to ``maximumExchanges``
/// exchanges (each checked byte for byte), closes, and connects again, until its
/// deadline. On ``resetPercent`` % of its connections (drawn from its seeded generator)
/// it sends one request and then resets the connection (SO_LINGER 0) instead of reading
/// the answer: the server sees ECONNRESET or EPIPE mid-exchange. Everything else that
/// fails is an unexpected error.
final class ChurningClient {
    /// The most exchanges on one connection.
    static let maximumExchanges = 16
    /// The share of connections, in percent, that end with a reset mid-exchange.
    static let resetPercent = 1
    /// The pause after an unexpected error before connecting again: a dead server makes
    /// a few errors a second per client, not a spin.
    static let pauseAfterError = Duration.milliseconds(100)

    private let address: SocketAddress
    private let session: any SoakSession
    private let tally: SoakTally
    private let deadline: ContinuousClock.Instant
    private var random: SplitMix64

    /// A client of the server at `address` until `deadline`, exchanging as `session`
    /// does; `seed` draws its exchange counts and resets.
    init(
        to address: SocketAddress, session: any SoakSession, tally: SoakTally, until deadline: ContinuousClock.Instant,
        seed: UInt64
    ) {
        self.address = address
        self.session = session
        self.tally = tally
        self.deadline = deadline
        random = SplitMix64(seed: seed)
    }

    /// Connects, exchanges and closes, over and over, until the deadline; on the loop
    /// it connects from. Each pass is bounded by the exchange count and each operation
    /// by ``operationTimeout``.
    func run() async {
        while ContinuousClock.now < deadline {
            do {
                try await runConnection()
            } catch {
                tally.failed(error)
                try? await Task.sleep(for: Self.pauseAfterError)
            }
        }
    }

    /// One connection: its exchanges, then a close, or a reset mid-exchange.
    private func runConnection() async throws {
        let connection = try await TCPConnection.connect(to: address, timeout: operationTimeout)
        tally.connected()
        let exchanges = 1 + Int(random.next() % UInt64(Self.maximumExchanges))
        let resetsAt: Int? =
            random.next() % 100 < Self.resetPercent ? Int(random.next() % UInt64(exchanges)) : nil
        do {
            try connection.setOption(.noDelay(true))
            for index in 0..<exchanges where ContinuousClock.now < deadline {
                try await session.sendRequest(over: connection, timeout: operationTimeout)
                if index == resetsAt {
                    try connection.setOption(.resetOnClose(true))
                    try await connection.close()
                    tally.reset()
                    return
                }
                let start = ContinuousClock.now
                try await session.receiveAnswer(over: connection)
                tally.exchanged(in: ContinuousClock.now - start)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
