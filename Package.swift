// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Torus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Torus", targets: ["Torus"]),
        .executable(name: "torus-bench", targets: ["torus-bench"]),
        .executable(name: "torus-demo", targets: ["torus-demo"]),
        .library(name: "TorusHTTP", targets: ["TorusHTTP"]),
        .library(name: "TorusService", targets: ["TorusService"]),
        .executable(name: "torus-crawl", targets: ["torus-crawl"]),
        // For the fuzzers in Fuzz/, a package of their own.
        .library(name: "TorusFuzzChecks", targets: ["TorusFuzzChecks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // liburing for Swift: the header, shims for what Swift cannot import, -luring.
        .target(
            name: "CLiburing",
            path: "CLiburing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .target(
            name: "Torus",
            dependencies: [
                "CLiburing",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The SVG charts and index page `torus-bench --report DIR` writes: plain text, so
        // the tests reach it.
        .target(name: "TorusBenchCharts"),
        // What torus-bench and the tests share (one child-process helper, temporary
        // directories, the seeded generator, the echo handler); not part of the Torus
        // library product.
        .target(name: "TorusTestSupport", dependencies: ["Torus"]),
        // What the command-line programs share: option checks (exit 64 with a message,
        // never a trap) and standard output that survives its reader going away.
        .target(
            name: "TorusCommandLine",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "torus-bench",
            dependencies: [
                "Torus",
                "CLiburing",
                "TorusBenchCharts",
                "TorusTestSupport",
                "TorusCommandLine",
                "TorusHTTP",
                "TorusService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The talk's demo: a slow HTTP server and three clients (blocking, callbacks,
        // async/await); the library part is what the tests reach.
        .target(
            name: "TorusDemo",
            dependencies: ["Torus"]
        ),
        .executableTarget(
            name: "torus-demo",
            dependencies: [
                "Torus",
                "TorusDemo",
                "TorusCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // An HTTP/1.1 server on Torus (its own strict request parser) and client (keep-alive
        // pool; NIOHTTP1's llhttp-based codec parses responses); swift-http-types carries
        // requests and responses.
        .target(
            name: "TorusHTTP",
            dependencies: [
                "Torus",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // TorusHTTP's server as a swift-service-lifecycle Service: run by a ServiceGroup,
        // stopped gracefully on its shutdown signals.
        .target(
            name: "TorusService",
            dependencies: [
                "Torus", "TorusHTTP",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The "500 Lines or Less" web crawler: workers, host filter, report.
        .target(
            name: "TorusCrawl",
            dependencies: [
                "Torus", "TorusHTTP", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "torus-crawl",
            dependencies: [
                "Torus",
                "TorusHTTP",
                "TorusCrawl",
                "TorusCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the fuzzers (Fuzz/, `make fuzz`) check on each input, and the replay test
        // over the committed inputs (Tests/TorusTests/FuzzInputs).
        .target(
            name: "TorusFuzzChecks",
            dependencies: [
                "TorusHTTP", "TorusCrawl", "TorusCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The C reference servers: the practical limit of each reactor design.
        .executableTarget(
            name: "c-liburing-echo",
            path: "Benchmarks/CLiburingEcho",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .executableTarget(
            name: "c-epoll-echo",
            path: "Benchmarks/CEpollEcho"
        ),
        // The C reference for `torus-bench nop`: NOPs through liburing, 1 or K in flight.
        .executableTarget(
            name: "c-liburing-nop",
            path: "Benchmarks/CLiburingNop",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        // Runs a command with io_uring_setup failing with EPERM (seccomp), for the
        // fallback test: what a locked-down container does.
        .executableTarget(
            name: "without-io-uring",
            path: "Benchmarks/WithoutIOUring"
        ),
        // Microbenchmarks (ordo-one/benchmark): `swift package benchmark --target TorusBenchmarks`;
        // Benchmarks/Thresholds holds the allowed malloc counts.
        .executableTarget(
            name: "TorusBenchmarks",
            dependencies: ["Torus", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/TorusBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(
            name: "TorusTests",
            dependencies: [
                "Torus", "CLiburing", "TorusDemo", "TorusHTTP", "TorusCrawl", "TorusBenchCharts",
                "TorusTestSupport", "TorusFuzzChecks", "TorusService",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // Read by the fuzz replay test from the source tree.
            exclude: ["FuzzInputs"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
