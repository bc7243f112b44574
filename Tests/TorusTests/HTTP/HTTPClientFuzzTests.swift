import Foundation
import Testing
import Torus
import TorusHTTP

/// Valid responses with random bytes overwritten, from a seeded generator: the client
/// returns a response or throws its own or a socket error, never crashes or hangs.
@Suite(.descriptorGate) struct HTTPClientFuzzTests {
    static let valid = [
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/html\r\n\r\nhello world",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "HTTP/1.0 301 Moved\r\nLocation: /x\r\n\r\nclose-delimited body",
    ]

    @Test(arguments: TestBackend.allCases)
    func mutatedResponses(_ backend: TestBackend) async throws {
        let cases = 60
        let outcomes = try await withTestLoop(backend) { loop in
            let served = LoopConfined(0, on: loop)
            return try await withRawServer({ connection, _ in
                var generator = SplitMix64(seed: UInt64(served.value))
                var bytes = Array(Self.valid[served.value % Self.valid.count].utf8)
                served.value += 1
                for _ in 0...Int(generator.next() % 4) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                try await connection.write(bytes)
            }) { base in
                var configuration = HTTPClient.Configuration()
                configuration.timeout = .milliseconds(500)
                let client = try HTTPClient(configuration: configuration)
                var outcomes: [String: Int] = [:]
                for _ in 0..<cases {
                    do {
                        _ = try await client.get(URL(string: base + "/")!)
                        outcomes["ok", default: 0] += 1
                    } catch let error as HTTPClientError {
                        outcomes["\(error)".prefix { $0 != ":" }.description, default: 0] += 1
                    } catch is TorusError {
                        outcomes["socket", default: 0] += 1
                    }
                }
                await client.shutdown()
                return outcomes
            }
        }
        #expect(outcomes.values.reduce(0, +) == cases)
        #expect(outcomes["ok", default: 0] > 0 && outcomes["malformed response", default: 0] > 0)
    }
}
