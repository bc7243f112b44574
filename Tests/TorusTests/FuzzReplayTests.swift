import Foundation
import Testing
import TorusFuzzChecks

/// Every committed fuzz input (the seed corpora and each input a fuzzer once found
/// breaking an invariant) replayed through its target's checks, so what `make fuzz`
/// found fixed stays fixed under plain `swift test`.
@Suite(.descriptorGate) struct FuzzReplayTests {
    /// Tests/TorusTests/FuzzInputs/<target>/.
    static func inputs(of target: FuzzTarget) throws -> [URL] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appending(components: "FuzzInputs", target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func committedInputsKeepTheInvariants(_ target: FuzzTarget) throws {
        let files = try Self.inputs(of: target)
        #expect(!files.isEmpty)
        for file in files {
            let input = try [UInt8](Data(contentsOf: file))
            #expect(throws: Never.self, "\(target.rawValue)/\(file.lastPathComponent)") { try target.check(input) }
        }
    }
}
