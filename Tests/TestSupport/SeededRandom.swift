import Foundation

/// A SplitMix64 stream: the same seed gives the same numbers on every machine, so a test
/// that picks moments or inputs at random can be replayed from its printed seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Where randomized tests get their seed: `MEDIABATCH_TEST_SEED` when set, otherwise a fresh
/// one. Either way the seed is printed with the test's name, and a test puts it in its
/// failure messages, so a failure can be replayed:
///
///     MEDIABATCH_TEST_SEED=<seed> swift test --filter <test>
///
/// A replay repeats every random choice; how the machine schedules the processes involved
/// is still its own.
public enum TestSeed {
    public static let environmentVariable = "MEDIABATCH_TEST_SEED"

    /// The generator for `test` (its name goes into the printed line). Throws when
    /// `MEDIABATCH_TEST_SEED` is set but is not a decimal or `0x` hexadecimal UInt64.
    public static func generator(for test: String = #function) throws -> SeededRandom {
        let seed: UInt64
        let origin: String
        if let text = ProcessInfo.processInfo.environment[environmentVariable] {
            guard let parsed = parse(text) else {
                throw TestSupportError("\(environmentVariable)=\(text) is not a UInt64 (decimal, or hexadecimal after 0x)")
            }
            seed = parsed
            origin = "from \(environmentVariable)"
        } else {
            var system = SystemRandomNumberGenerator()
            seed = system.next()
            origin = "fresh"
        }
        print("seed \(seed) (\(origin)) for \(test); replay: \(environmentVariable)=\(seed) swift test --filter \(testFilterName(test))")
        return SeededRandom(seed: seed)
    }

    /// A seed as `MEDIABATCH_TEST_SEED` may give it: decimal, or hexadecimal after `0x`.
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("0x") { return UInt64(trimmed.dropFirst(2), radix: 16) }
        return UInt64(trimmed)
    }

    /// `name()` from `#function` without its parentheses, for `--filter`.
    private static func testFilterName(_ test: String) -> String {
        test.firstIndex(of: "(").map { String(test[..<$0]) } ?? test
    }
}
