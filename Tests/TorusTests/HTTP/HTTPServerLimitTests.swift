import Synchronization
import Testing
import Torus
import TorusHTTP

/// HTTPServer refuses request bodies past `maxBodySize` with 413 and closes, without
/// calling the handler; a body at the limit is served.
@Suite(.descriptorGate) struct HTTPServerLimitTests {
    static let limit = 1000

    /// How a request of `size` body bytes is sent.
    enum Framing: CaseIterable, Sendable {
        case contentLength, chunked

        func request(size: Int) -> [UInt8] {
            let body = [UInt8](repeating: UInt8(ascii: "b"), count: size)
            switch self {
            case .contentLength:
                return Array("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n".utf8) + body
            case .chunked:
                // Two chunks, so the limit is crossed by a later chunk, not the head.
                let half = size / 2
                var bytes = Array("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                for part in [body[..<half], body[half...]] {
                    bytes += Array("\(String(part.count, radix: 16))\r\n".utf8)
                    bytes += part
                    bytes += Array("\r\n".utf8)
                }
                return bytes + Array("0\r\n\r\n".utf8)
            }
        }
    }

    @Test(arguments: TestBackend.allCases, Framing.allCases)
    func bodyPastTheLimitIsRefused(_ backend: TestBackend, _ framing: Framing) async throws {
        try await withTestLoop(backend) { loop in
            let handled = Atomic<Int>(0)
            let handler: HTTPServer.Handler = { _, body in
                handled.add(1, ordering: .relaxed)
                return HTTPServerResponse(contentType: "text/plain", text: "got \(body.count)")
            }
            try await withHTTPServer(handler, configure: { $0.maxBodySize = Self.limit }) { base in
                let port = Int(base.split(separator: ":").last!)!
                let atLimit = try await exchange(framing.request(size: Self.limit), port: port, halfClosing: true)
                #expect(atLimit.hasPrefix("HTTP/1.1 200 OK"))
                #expect(atLimit.hasSuffix("got \(Self.limit)"))
                // Just past the limit, and far past it (the server drains what it refused).
                for size in [Self.limit + 1, 300_000] {
                    let tooLarge = try await exchange(framing.request(size: size), port: port, halfClosing: true)
                    #expect(
                        tooLarge == "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                }
            }
            #expect(handled.load(ordering: .relaxed) == 1)
            #expect(await loop.statistics.operationSlotsInUse == 0)
        }
    }
}
