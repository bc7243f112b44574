import TorusTestSupport
import Foundation

/// nginx as an HTTP plaintext server under test, when it is installed: one process
/// (`master_process off`, `worker_processes 1`: the one loop the other servers have),
/// no access log, `return 200 "Hello, World!"` as `text/plain`. Its files (the
/// configuration, pid, error log, temporary directories) live in a directory of its own,
/// removed by ``removeDirectory()``.
struct Nginx {
    /// Its name in the tables and reports.
    static let name = "nginx"

    /// nginx's path on `PATH`, nil when it is not installed.
    static var executable: String? { ChildProcess.installed("nginx") }

    let executable: String
    /// nginx's own directory (`-p`).
    let directory: String

    /// Makes nginx's directory under the temporary directory.
    init(executable: String) throws {
        self.executable = executable
        directory = try Directory.makeTemporary(
            FileManager.default.temporaryDirectory.appendingPathComponent("torus-bench-nginx.XXXXXX").path)
    }

    /// nginx as a server under test: each start on a free port, configured for its
    /// number of clients.
    var server: ServerDescription {
        ServerDescription(name: Self.name, reportsStatistics: false) { connections in
            let port = try LocalPort.free()
            let configuration = directory + "/nginx.conf"
            try Data(Self.configuration(port: port, directory: directory, connections: connections).utf8)
                .write(to: URL(fileURLWithPath: configuration))
            return ServerDescription.Command(
                program: .installed(path: executable),
                arguments: ["-p", directory, "-c", configuration, "-e", directory + "/error.log"], port: port)
        }
    }

    /// Removes nginx's directory.
    func removeDirectory() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The configuration: listens on 127.0.0.1:`port`, keeps its files in `directory`,
    /// takes `connections` clients (and spare), and never closes a keep-alive connection
    /// the clients keep using (nginx's default closes it after 1,000 requests).
    static func configuration(port: Int, directory: String, connections: Int) -> String {
        """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log warn;
        events {
            worker_connections \(max(1024, connections + 64));
        }
        http {
            access_log off;
            keepalive_requests 1000000000;
            client_body_temp_path \(directory)/client_body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            server {
                listen 127.0.0.1:\(port);
                location / {
                    default_type text/plain;
                    return 200 "\(plaintextBody)";
                }
            }
        }

        """
    }
}
