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
}
