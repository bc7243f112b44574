import Foundation

/// A program built by this package (next to the test bundle), run as a child process
/// with stdout and stderr captured: the shared ``ChildProcess`` (TorusTestSupport) with
/// the tests' conveniences.
typealias ServerProcess = ChildProcess

extension ChildProcess {
    /// Starts `arguments`; the first one (and a second that names a product, for
    /// wrappers such as `without-io-uring`) resolve to this package's build directory.
    /// `environment` adds to this process's. Stderr goes to its own pipe, or with
    /// `errorsToOutput` to stdout's.
    convenience init(_ arguments: [String], environment: [String: String] = [:], errorsToOutput: Bool = false) throws {
        let resolved = arguments.enumerated().map { index, argument in
            let product = Self.productsDirectory + "/" + argument
            return index < 2 && FileManager.default.isExecutableFile(atPath: product) ? product : argument
        }
        try self.init(
            path: resolved[0], arguments: Array(resolved.dropFirst()), environment: environment,
            standardError: errorsToOutput ? .toOutput : .captured)
    }

    /// Reads the `listening <port>` line the server prints when ready.
    func waitForPort() async throws -> Int {
        guard let port = await readAnnouncedPort() else {
            _ = await waitForExit()
            throw ServerProcessError.noPort
        }
        return port
    }

    /// Sends SIGTERM, then waits (at most 20 s, then SIGKILL) for the exit status and the
    /// whole stderr.
    func stop() async -> (status: Int32, errors: String) {
        (await terminate(timeout: .seconds(20)), await readErrors())
    }

    /// Waits (at most 20 s, then SIGKILL) for the exit status and the whole stderr.
    func waitForExit() async -> (status: Int32, errors: String) {
        (await exitStatus(timeout: .seconds(20)), await readErrors())
    }

    /// Why a server under test could not be used.
    enum ServerProcessError: Error {
        /// Its first line was not `listening <port>`.
        case noPort
    }
}
