import Testing
import CampaignLedger

@Suite struct JSONOutputTests {
    @Test func escapesOnlyQuoteBackslashAndControls() {
        let s = JSONOutput.string("a\"b\\c\u{01}\n é/😀").serialized()
        #expect(s == "\"a\\\"b\\\\c\\u0001\\u000a é/😀\"")
    }

    @Test func keepsMemberOrderAndWritesNumbers() {
        let v = JSONOutput.object([("z", .int(3)), ("a", .double(0.5)), ("m", .double(2)), ("n", .null)])
        #expect(v.serialized() == "{\"z\":3,\"a\":0.5,\"m\":2.0,\"n\":null}")
    }

    /// The outcomes document written straight into a string is the text the JSON values give.
    @Test func theOutcomesDocumentIsTheTextOfItsValues() {
        let ids = ["e1", "cb-meta-0f3a", "q\"uote", "back\\slash", "ctl\u{01}\u{1f}", "é😀", "", String(repeating: "x", count: 300)]
        var outcomes: [AppendOutcome] = []
        for (i, id) in ids.enumerated() {
            outcomes.append(i % 3 == 0 ? .duplicate(position: UInt64(i + 1), id: id) : .appended(position: UInt64(1 << 40) + UInt64(i), id: id))
        }
        for n in [0, 1, outcomes.count] {
            let some = Array(outcomes.prefix(n))
            #expect(AppendOutcome.document(some).serialized() == JSONOutput.object([("outcomes", .array(some.map(\.json)))]).serialized())
        }
        #expect(AppendOutcome.document([]).serialized() == #"{"outcomes":[]}"#)
    }
}
