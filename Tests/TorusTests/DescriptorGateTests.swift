import Foundation
import Testing

/// Every suite holds the descriptor gate for each of its tests (``DescriptorGate``): a
/// suite without it would open descriptors while another test has lowered the
/// open-file limit, and fail with EMFILE now and then.
@Suite(.descriptorGate) struct DescriptorGateTests {
    @Test func everyTestFileDeclaresItsSuitesWithTheGate() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let files = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
        var checked = 0
        for case let file as URL in files where file.pathExtension == "swift" {
            let source = try String(contentsOf: file, encoding: .utf8)
            let lines = source.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            guard lines.contains(where: { $0.hasPrefix("@Test") }) else { continue }
            let suites = lines.filter { $0.hasPrefix("@Suite") }
            #expect(!suites.isEmpty, "\(file.lastPathComponent) has tests but no @Suite(.descriptorGate)")
            for suite in suites {
                #expect(suite.contains(".descriptorGate"), "\(file.lastPathComponent): \(suite)")
            }
            checked += 1
        }
        #expect(checked > 60)
    }

    /// A shared hold nested in one (the trait's, then a test loop's) enters at once even
    /// while an exclusive holder waits, and an exclusive hold nested in a shared one
    /// gives the shared hold up while it runs.
    @Test func nestedHoldsDoNotWaitForThemselves() async throws {
        #expect(DescriptorGate.held == .shared)
        try await withDescriptorGate(.shared) { #expect(DescriptorGate.held == .shared) }
        try await withDescriptorGate(.exclusive) {
            #expect(DescriptorGate.held == .exclusive)
            try await withDescriptorGate(.shared) { #expect(DescriptorGate.held == .exclusive) }
        }
        #expect(DescriptorGate.held == .shared)
    }
}
