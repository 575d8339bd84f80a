import JSON
import Testing

/// jansson's `json_real` returns NULL for NaN and ±infinity: encoding used to trap on such a
/// number at the top level and silently drop it as an object member. The rule now: `null`.
@Suite struct JSONNonFiniteDefectTests {
    private func text(_ value: JSON, sortedKeys: Bool = false) -> String {
        String(decoding: JSONEncoding.encode(value, sortedKeys: sortedKeys), as: UTF8.self)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, -Double.nan, Double.signalingNaN])
    func aNonFiniteNumberAtTheTopLevelIsNull(_ number: Double) {
        #expect(text(.double(number)) == "null")
    }

    @Test func aNonFiniteMemberOrItemIsKeptAsNull() throws {
        let record: JSON = [
            "task": "a", "cost": .double(.nan), "loudness": .double(-.infinity),
            "chunks": [1, .double(.infinity), 2.5], "nested": ["peak": .double(.nan), "ok": true],
        ]
        #expect(
            text(record)
                == #"{"task":"a","cost":null,"loudness":null,"chunks":[1,null,2.5],"nested":{"peak":null,"ok":true}}"#)
        #expect(
            text(record, sortedKeys: true)
                == #"{"chunks":[1,null,2.5],"cost":null,"loudness":null,"nested":{"ok":true,"peak":null},"task":"a"}"#)

        // What comes back keeps every key: a reader meets `null`, not a missing member.
        let parsed = try JSONEncoding.parse(JSONEncoding.encode(record), source: "record")
        #expect(parsed["cost"] == .null && parsed["loudness"] == .null && parsed["nested"]?["peak"] == .null)
        #expect(parsed["chunks"] == [1, .null, 2.5])
        #expect(parsed.objectValue?.keys == ["task", "cost", "loudness", "chunks", "nested"])
    }

    @Test func finiteNumbersAreUnchanged() throws {
        let numbers: JSON = [0.5, -2.25, 1e300, .double(-Double.greatestFiniteMagnitude), .double(Double.leastNonzeroMagnitude)]
        #expect(!text(numbers).contains("null"))
        #expect(try JSONEncoding.parse(JSONEncoding.encode(numbers), source: "numbers") == numbers)
        #expect(JSON.double(.nan).excerpt() == "null")
    }
}
