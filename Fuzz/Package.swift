// swift-tools-version: 5.4
import PackageDescription

/// The fuzz targets, by the name of their ``FuzzTarget`` case: one libFuzzer executable,
/// `fuzz-<name>`, each. A package of its own so that the root package's `swift build`
/// and `swift test` never build with the fuzzer; `make fuzz` builds it with
/// `-sanitize=fuzzer,address -parse-as-library` and runs every target.
///
/// Tools version 5.4 on purpose: from 5.5 on, SwiftPM links an executable with `main`
/// renamed to `<module>_main` (so tests can link it), which a libFuzzer target, whose
/// `main` is libFuzzer's, does not have.
let fuzzTargets = [
    "http-request", "http-request-differential", "http-response", "url-normalize", "redirect-target", "link-extraction", "cli-values",
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
    swiftLanguageVersions: [.version("6")]
)
