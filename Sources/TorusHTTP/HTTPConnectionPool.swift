/// Idle keep-alive connections, by "host:port", at most `maxIdlePerHost` each.
/// Loop-local: used only on its client's loop thread.
final class HTTPConnectionPool {
    private var idle: [String: [HTTPClientConnection]] = [:]
    private let maxIdlePerHost: Int

    init(maxIdlePerHost: Int) {
        self.maxIdlePerHost = maxIdlePerHost
    }

    /// An idle connection to `key`, most recently used first.
    func take(_ key: String) -> HTTPClientConnection? {
        idle[key]?.popLast()
    }

    /// Keeps `connection` for reuse, or closes it when its host has enough idle ones.
    func giveBack(_ connection: HTTPClientConnection) async {
        if idle[connection.key, default: []].count < maxIdlePerHost {
            idle[connection.key, default: []].append(connection)
        } else {
            await connection.close()
        }
    }

    /// Closes every idle connection.
    func closeAll() async {
        let all = idle.values.joined()
        idle = [:]
        for connection in all { await connection.close() }
    }
}
