import Testing

@testable import Torus

/// A connection that has nothing to do with a fault, served by an echo handler on the
/// same loop: a fault test exchanges bytes through it while the fault is under way and
/// after, to prove the rest of the loop is unaffected.
struct Bystander: Sendable {
    let pair: ConnectedPair

    /// Connects a pair on the current loop and serves its server end with an echo.
    static func make() async throws -> Bystander {
        let pair = try await ConnectedPair.make()
        try pair.server.serve(with: EchoHandler())
        return Bystander(pair: pair)
    }

    /// Sends 4 KiB of bytes from `seed` and expects exactly them back, within 10 s.
    func expectEcho(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let message = randomBytes(4096, seed: seed)
        try await pair.client.write(message, timeout: .seconds(10))
        let echoed = try await pair.client.read(exactly: message.count, timeout: .seconds(10))
        #expect(echoed == message, "the bystander's echo differs", sourceLocation: sourceLocation)
    }

    /// Ends the exchange: the served end closes itself once it hears the end of stream.
    func close() async throws {
        try await pair.client.close()
    }
}
