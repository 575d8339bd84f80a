import Manifest
import Support
import Testing

/// Ordered de-duplication (`uniqued`): the first of each kept, in order, and the places
/// that list names once each through it.
@Suite struct UniquedTests {
    @Test func keepsTheFirstOfEachInOrder() {
        #expect([3, 1, 3, 2, 1].uniqued() == [3, 1, 2])
        #expect(["b", "a", "b"].lazy.map { $0 + "!" }.uniqued() == ["b!", "a!"])
        #expect([Int]().uniqued().isEmpty)
        // Past the few searched in place: repeats of early and late elements alike are dropped.
        let many = Array(0..<20) + Array((0..<20).reversed()) + [3, 25, 12, 25]
        #expect(many.uniqued() == Array(0..<20) + [25])
        let pairs = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)].uniqued { $0.0 }
        #expect(pairs.map(\.0) == ["a", "b", "c"] && pairs.map(\.1) == [1, 2, 4])
    }

    @Test func aTemplateNamesEachPlaceholderOnceInOrderOfFirstUse() throws {
        #expect(try Template("{b} and {a}, {b} again, {{literal}} and {c}{a}").names == ["b", "a", "c"])
    }
}
