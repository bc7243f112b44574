import Torus
import TorusTestSupport

/// How to start one server under test: the one description every scenario uses (echo,
/// http, connections), whatever the server is: torus-bench's own Torus and SwiftNIO
/// servers (`torus-bench serve ...`), the C references (Benchmarks/), nginx.
/// ``ServerUnderTest`` starts it in a child process of its own.
struct ServerDescription: CustomStringConvertible {
    /// The program to start: one built beside torus-bench, or one installed on the
    /// machine (nginx).
    enum Program {
        case product(String)
        case installed(path: String)
    }

    /// One start's command line, and the port the server was told to listen on: nil for
    /// a server that picks its own and prints `listening <port>` once ready.
    struct Command {
        var program: Program
        var arguments: [String]
        var port: Int?

        /// Starts the child process.
        func spawn() throws -> ChildProcess {
            switch program {
            case .product(let product): try ChildProcess(product: product, arguments: arguments)
            case .installed(let path): try ChildProcess(path: path, arguments: arguments)
            }
        }
    }

    /// Its name in the tables and reports.
    var name: String
    /// The runtime or C server it is; nil for one that is neither (nginx).
    var contender: Contender?
    /// Whether it answers SIGUSR1 with a `statistics` line (torus-bench's own servers).
    var reportsStatistics: Bool
    /// How many event loops (threads) serve: 1 for the C servers and nginx.
    var loops = 1
    /// How a Torus server on several loops spreads connections; nil otherwise.
    var sharding: ShardedListener.Sharding?
    /// The command of one start for `connections` clients (nginx writes its
    /// configuration here, for a free port).
    var command: (_ connections: Int) throws -> Command

    /// Made of its parts; ``loops`` and ``sharding`` are set afterwards when they
    /// differ from one loop.
    init(
        name: String, contender: Contender? = nil, reportsStatistics: Bool,
        command: @escaping (_ connections: Int) throws -> Command
    ) {
        self.name = name
        self.contender = contender
        self.reportsStatistics = reportsStatistics
        self.command = command
    }

    var description: String { name }

    /// A `torus-bench serve SCENARIO --port 0` child of `contender` with `options`,
    /// named `name` (default: the contender's name); it reports statistics.
    static func served(_ scenario: String, _ contender: Contender, name: String? = nil, options: [String]) -> Self {
        Self(name: name ?? contender.rawValue, contender: contender, reportsStatistics: true) { _ in
            Command(program: .product("torus-bench"), arguments: ["serve", scenario, "--port", "0"] + options)
        }
    }
}
