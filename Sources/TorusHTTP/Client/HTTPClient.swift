import Foundation
import HTTPTypes
import NIOHTTP1
import Torus

/// An HTTP/1.1 client on a Torus loop: keep-alive connections pooled per host:port,
/// Content-Length, chunked and close-delimited bodies, limits on header and body size,
/// one deadline per request. `http` only (no TLS).
///
/// Loop-local: create and use it in tasks pinned to one loop (``Torus/EventLoop/run(_:)``);
/// calls from elsewhere throw ``HTTPClientError/notOnLoop``. Call ``shutdown()`` to close
/// the idle connections.
public final class HTTPClient: @unchecked Sendable {
    // @unchecked Sendable: the pool and the connections (and NIO's embedded channels in
    // them) are touched only on `loop`'s thread; every entry point checks that first.

    /// Limits and timeouts.
    public struct Configuration: Sendable {
        /// The most a request may take, connecting included (waiting for a free connection
        /// under ``maxConnections`` is not). 10 s by default.
        public var timeout: Duration = .seconds(10)
        /// The largest body read; a larger one fails with ``HTTPClientError/bodyTooLarge(limit:)``.
        /// 10 MiB by default.
        public var maxBodySize = 10 << 20
        /// The largest response head (status line and fields), in bytes. 80 KiB by default.
        public var maxHeaderSize = 80 * 1024
        /// Idle keep-alive connections kept per host:port. 16 by default.
        public var maxIdlePerHost = 16
        /// The most connections open at once, idle ones included (each is a descriptor);
        /// nil, the default: no cap. At the cap a request needing a new connection closes
        /// the longest-idle one, or, when none idles, waits in line for one to close.
        /// The wait is not part of ``timeout``, which starts again once it ends.
        public var maxConnections: Int?

        /// The defaults.
        public init() {}
    }

    /// The loop whose tasks may use the client.
    public let loop: EventLoop
    /// Its limits and timeouts.
    public let configuration: Configuration
    private let pool: HTTPConnectionPool

    /// A client bound to `loop` (by default the calling thread's loop).
    /// - Throws: ``HTTPClientError/notOnLoop`` when no loop is given and the caller runs
    ///   on none; ``Torus/TorusError`` `.invalidArgument` for a `maxConnections` below 1.
    public init(configuration: Configuration = Configuration(), loop: EventLoop? = nil) throws {
        guard let loop = loop ?? EventLoop.current else { throw HTTPClientError.notOnLoop }
        self.loop = loop
        self.configuration = configuration
        self.pool = try HTTPConnectionPool(
            maxIdlePerHost: configuration.maxIdlePerHost, maxConnections: configuration.maxConnections, loop: loop)
    }

    /// GETs `url` (redirects are not followed: a 3xx is returned as it is; see
    /// ``HTTPClientResponse/location(relativeTo:)``), within `timeout` (by default the
    /// configuration's).
    public func get(_ url: URL, timeout: Duration? = nil) async throws -> HTTPClientResponse {
        try await execute(method: .get, url: url, timeout: timeout)
    }

    /// Sends a `method` request for `url` with `headerFields` and `body`, and reads the
    /// whole response within `timeout` (by default ``Configuration/timeout``): the one
    /// deadline for connecting, sending and reading, after which the request fails with
    /// ``HTTPClientError/timedOut``.
    ///
    /// A connection goes back to the pool only when its response was read exactly and
    /// neither side asked to close; one that failed, timed out or was cancelled is
    /// closed. Before reuse an idle connection is checked: one with bytes waiting or
    /// closed by the server is dropped and the request goes on with the next one (or a
    /// fresh connection), transparently. Under ``Configuration/maxConnections`` a new
    /// connection may first wait for a free slot (see there).
    /// - Throws: ``HTTPClientError`` (scheme, URL, parse errors, limits, timeout) or the
    ///   socket's ``Torus/TorusError`` (refused, reset, ...).
    public func execute(
        method: HTTPRequest.Method, url: URL, headerFields: HTTPFields = [:], body: [UInt8] = [],
        timeout: Duration? = nil
    ) async throws -> HTTPClientResponse {
        guard loop.isCurrent else { throw HTTPClientError.notOnLoop }
        let scheme = url.scheme?.lowercased() ?? ""
        guard scheme == "http" else { throw HTTPClientError.unsupportedScheme(scheme) }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw HTTPClientError.invalidURL(url.absoluteString)
        }
        let port = url.port ?? 80
        var target = url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        var headers = HTTPHeaders(headerFields)
        if !headers.contains(name: "host") { headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)") }
        if !body.isEmpty { headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method.rawValue), uri: target, headers: headers)

        let timeout = timeout ?? configuration.timeout
        var deadline = ContinuousClock.now + timeout
        let key = "\(host):\(port)"
        while true {
            let pooled = pool.take(key)
            let connection: HTTPClientConnection
            if let pooled {
                // Bytes or an end of stream on an idle connection (a late or unsolicited
                // response, the server's close): retire it, never read them as this answer.
                guard pooled.isClean() else {
                    await pool.close(pooled)
                    continue
                }
                connection = pooled
            } else {
                // Waiting in line for a slot is not the server's time.
                if try await pool.reserveSlot() { deadline = .now + timeout }
                do {
                    connection = try await HTTPClientConnection(
                        key: key, host: host, port: port, deadline: deadline,
                        maxHeaderSize: configuration.maxHeaderSize)
                } catch {
                    pool.releaseSlot()
                    throw error
                }
            }
            do {
                let (response, reusable) = try await connection.exchange(
                    head, body: body, deadline: deadline, maxBodySize: configuration.maxBodySize)
                if reusable { await pool.giveBack(connection) } else { await pool.close(connection) }
                return response
            } catch {
                await pool.close(connection)
                // An idle connection the server closed: try again on a fresh one.
                if pooled != nil, error.isStaleConnection { continue }
                throw error
            }
        }
    }

    /// Closes the idle connections. The client stays usable.
    public func shutdown() async {
        await pool.closeAll()
    }
}

extension Error {
    /// Whether this is what a reused connection the server had closed yields.
    fileprivate var isStaleConnection: Bool {
        if let error = self as? HTTPClientError { return error == .connectionClosedEarly }
        if let error = self as? TorusError { return [.connectionReset, .brokenPipe].contains(error.errno) }
        return false
    }
}
