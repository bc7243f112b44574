// swift-tools-version: 6.1
import PackageDescription

/// The fuzz targets, by the name of their ``FuzzTarget`` case: one libFuzzer executable,
/// `fuzz-<name>`, each. A package of its own so that the root package's `swift build`
/// and `swift test` never build with the fuzzer; `make fuzz` builds it with
/// `-sanitize=fuzzer,address -parse-as-library` and runs every target.
let fuzzTargets = [
    "http-request", "http-response", "url-normalize", "redirect-target", "link-extraction", "cli-values",
]

let package = Package(
    name: "TorusFuzz",
    dependencies: [.package(name: "Torus", path: "..")],
    targets: fuzzTargets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "TorusFuzzChecks", package: "Torus")],
            path: "Targets/\(name)"
        )
    },
    swiftLanguageModes: [.v6]
)
