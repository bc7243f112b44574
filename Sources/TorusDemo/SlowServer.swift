import Torus

/// The talk's slow web server: every response streams its body in small chunks with a
/// pause between them, then closes the connection (`Connection: close`), so a client
/// waits about `chunks * chunkInterval` for each page. Runs on a Torus loop.
package struct SlowServer: Sendable {
    /// How many chunks each body has.
    package var chunks = 100
    /// The pause after each chunk.
    package var chunkInterval: Duration = .milliseconds(10)

    /// 100 chunks, 10 ms apart: about one second per page.
    package init() {}

    /// The body `path` gets: one line per chunk.
    package func body(of path: String) -> String {
        (0..<chunks).map { chunk($0, of: path) }.joined()
    }

    /// Chunk `index` of `path`'s body.
    private func chunk(_ index: Int, of path: String) -> String { "\(path) chunk \(index)\n" }

    /// Serves connections from `listener` until it is closed, each in its own task.
    package func serve(_ listener: TCPListener) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await connection in listener.connections {
                group.addTask {
                    do {
                        try await respond(on: connection)
                    } catch {
                        print("server: \(error)")  // one client's trouble must not stop the server
                    }
                    try? await connection.close()
                }
            }
        }
    }

    /// Reads one request and answers it, slowly.
    private func respond(on connection: TCPConnection) async throws {
        var request: [UInt8] = []
        while !request.contains(headerEnd) {
            let chunk = try await connection.read(upTo: 4096)
            if chunk.isEmpty { return }
            request += chunk
        }
        // "GET /foo HTTP/1.1" -> "/foo"
        let requestLine = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        guard demoPaths.contains(path) else {
            try await connection.write(Array("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        try await connection.write(
            Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n".utf8))
        for index in 0..<chunks {
            try await connection.write(Array(chunk(index, of: path).utf8))
            try await connection.loop.sleep(for: chunkInterval)
        }
    }
}

/// The pages the demo fetches.
package let demoPaths = ["/foo", "/bar"]

/// The blank line that ends a request's headers.
private let headerEnd: [UInt8] = Array("\r\n\r\n".utf8)
