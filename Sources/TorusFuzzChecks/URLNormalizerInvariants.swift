import TorusCrawl

/// ``TorusCrawl/URLNormalizer`` on arbitrary text: the normal form is a fixed point
/// (normalizing it again changes nothing), has a lower-case scheme and no fragment; and
/// the fast path agrees with the full one (a string it calls normal, the full
/// normalization leaves as it is).
enum URLNormalizerInvariants {
    static func check(_ input: [UInt8]) throws {
        let text = String(decoding: input, as: UTF8.self)
        if URLNormalizer.isNormal(text) {
            let full = URLNormalizer.normalizeSlowly(text)
            try expect(
                full == text, "the fast path keeps \(text.debugDescription), the full one gives \(full ?? "nil")")
        }
        guard let normal = URLNormalizer.normalize(text) else { return }
        try checkNormal(normal, of: text)
    }

    /// Checks that `normal`, the normal form of `text`, is one.
    static func checkNormal(_ normal: String, of text: String) throws {
        let again = URLNormalizer.normalize(normal)
        try expect(again == normal, "not idempotent: \(text.debugDescription) → \(normal) → \(again ?? "nil")")
        try expect(!normal.contains("#"), "a fragment kept: \(normal)")
        let scheme = normal.prefix { $0 != ":" }
        try expect(scheme == scheme.lowercased(), "scheme not lower-cased: \(normal)")
    }
}
