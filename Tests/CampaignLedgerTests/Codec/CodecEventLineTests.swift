import Testing
import CampaignLedger

/// A valid contact.status line with `extra` members spliced in before the closing brace.
private func status(_ extra: String = "", status: String = "\"sent\"") -> String {
    #"{"type":"contact.status","campaign":"c1","at":"2026-11-20T09:30:02Z","contact":"k1","status":"#
        + status + extra + "}"
}

private func parse(_ text: String) throws(InputError) -> ParsedLine? {
    try EventLineParser.parse(Array(text.utf8))
}

/// The field an error names, or "accepted".
private func fieldOf(_ bytes: [UInt8]) -> String {
    do {
        _ = try EventLineParser.parse(bytes)
        return "accepted"
    } catch {
        #expect(!error.message.isEmpty)
        return error.field
    }
}

private func nested(_ depth: Int) -> String {
    // meta with `depth` levels: {"a":{"a":…{}…}}
    String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
}

@Suite struct CodecEventLineRejectTests {
    static let cases: [(String, String, String)] = [
        ("repeated key", #"{"type":"campaign.started","campaign":"c","campaign":"c","at":"2026-11-20T09:30:02Z"}"#, "line"),
        ("repeated key after escapes, nested", status(#","meta":{"x":{"a":1,"\u0061":2}}"#), "line"),
        ("lone high surrogate in id", status(#","id":"a\ud800""#), "id"),
        ("lone low surrogate in a key", status(#","\udc00":1"#), "line"),
        ("lone surrogate in a nested meta key", status(#","meta":{"k":[{"\ud83d":1}]}"#), "meta"),
        ("lone surrogate in an unknown field", status(#","zz":"\udc00""#), "zz"),
        ("attempt 1.0", status(#","attempt":1.0"#), "attempt"),
        ("attempt 2e0", status(#","attempt":2e0"#), "attempt"),
        ("attempt 0", status(#","attempt":0"#), "attempt"),
        ("attempt -1", status(#","attempt":-1"#), "attempt"),
        ("attempt 1000001", status(#","attempt":1000001"#), "attempt"),
        ("attempt true", status(#","attempt":true"#), "attempt"),
        ("attempt as a string", status(#","attempt":"1""#), "attempt"),
        ("unknown field", status(#","atempt":1"#), "atempt"),
        ("null required contact", #"{"type":"contact.status","campaign":"c1","at":"2026-11-20T09:30:02Z","contact":null,"status":"sent"}"#, "contact"),
        ("missing required status", #"{"type":"contact.status","campaign":"c1","at":"2026-11-20T09:30:02Z","contact":"k"}"#, "status"),
        ("missing type", #"{"campaign":"c1","at":"2026-11-20T09:30:02Z"}"#, "type"),
        ("unknown type", #"{"type":"campaign.deleted","campaign":"c1","at":"2026-11-20T09:30:02Z"}"#, "type"),
        ("campaign is a number", #"{"type":"campaign.started","campaign":7,"at":"2026-11-20T09:30:02Z"}"#, "campaign"),
        ("C0 control in id", status(#","id":"a\u0001""#), "id"),
        ("C1 control in id", status(#","id":"a\u0085""#), "id"),
        ("DEL in contact", #"{"type":"contact.removed","campaign":"c1","at":"2026-11-20T09:30:02Z","contact":"k\u007f"}"#, "contact"),
        ("id of 129 bytes", status(#","id":""# + String(repeating: "x", count: 129) + "\""), "id"),
        ("empty id", status(#","id":"""#), "id"),
        ("providerRef of 257 bytes", status(#","providerRef":""# + String(repeating: "é", count: 128) + "x\""), "providerRef"),
        ("reason over 4096 bytes", status(#","reason":""# + String(repeating: "r", count: 4097) + "\""), "reason"),
        ("meta depth 33", status(#","meta":"# + nested(33)), "meta"),
        ("meta over 64 KiB", status(#","meta":{"a":""# + String(repeating: "m", count: 65_530) + "\"}"), "meta"),
        ("meta is an array", status(#","meta":[1]"#), "meta"),
        ("no such date", #"{"type":"campaign.started","campaign":"c","at":"2026-02-30T09:30:02Z"}"#, "at"),
        ("not a leap year", #"{"type":"campaign.started","campaign":"c","at":"2023-02-29T09:30:02Z"}"#, "at"),
        ("second 60", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:60Z"}"#, "at"),
        ("hour 24", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T24:00:00Z"}"#, "at"),
        ("space separator", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20 09:30:02Z"}"#, "at"),
        ("no zone", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02"}"#, "at"),
        ("offset hour 24", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02+24:00"}"#, "at"),
        ("empty fraction", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02.Z"}"#, "at"),
        ("not an object", #"["type","campaign.started"]"#, "line"),
        ("a string", #""campaign.started""#, "line"),
        ("trailing garbage", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02Z"} x"#, "line"),
        ("two objects", #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02Z"}{}"#, "line"),
        ("NaN", status(#","meta":{"x":NaN}"#), "line"),
        ("Infinity", status(#","meta":{"x":-Infinity}"#), "line"),
        ("leading zero", status(#","meta":{"x":01}"#), "line"),
        ("raw tab inside a string", status(",\"id\":\"a\tb\""), "line"),
        ("bad escape", status(#","id":"a\x41""#), "line"),
        ("unterminated", #"{"type":"campaign.started""#, "line"),
        ("nested too deeply for the reader", status(#","meta":"# + nested(600)), "line"),
        ("unknown status", status(status: "\"shipped\""), "status"),
        ("initial status", status(status: "\"initial\""), "status"),
        ("removed status", status(status: "\"removed\""), "status"),
        ("unknown channel", #"{"type":"campaign.created","campaign":"c","at":"2026-11-20T09:30:02Z","channel":"email"}"#, "channel"),
        ("channel case", #"{"type":"campaign.created","campaign":"c","at":"2026-11-20T09:30:02Z","channel":"SMS"}"#, "channel"),
        ("position 0", status(#","position":0"#), "position"),
        ("position 1.5", status(#","position":1.5"#), "position"),
        ("hash not hex", status(#","hash":"xyz""#), "hash"),
        ("addressDigest not hex", status(#","addressDigest":"0g""#), "addressDigest"),
        ("recordedAt not a time", status(#","recordedAt":"yesterday""#), "recordedAt"),
    ]

    @Test(arguments: cases)
    func rejects(_ c: (String, String, String)) {
        #expect(fieldOf(Array(c.1.utf8)) == c.2, "\(c.0)")
    }

    @Test func rejectsByteLevelProblems() {
        let good = Array(status().utf8)
        #expect(fieldOf([0xEF, 0xBB, 0xBF] + good) == "line")  // BOM
        var latin1 = Array(status(#","name":"x""#).utf8)
        latin1.insert(0xE9, at: latin1.count - 3)  // a lone Latin-1 é
        #expect(fieldOf(latin1) == "line")
        #expect(fieldOf(Array(status(#","id":""#).utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D]) == "line")  // UTF-8 surrogate
        #expect(fieldOf(Array(status(#","id":""#).utf8) + [0xC0, 0xAF, 0x22, 0x7D]) == "line")  // overlong
    }

    @Test func lineOverOneMiBIsCheckedFirst() throws {
        let pad = String(repeating: " ", count: (1 << 20) - status().utf8.count + 1)
        let bytes = Array((status() + pad).utf8)
        #expect(bytes.count == (1 << 20) + 1)
        do {
            _ = try EventLineParser.parse(bytes)
            Issue.record("accepted a line over 1 MiB")
        } catch {
            #expect(error == InputError(field: "line", message: "longer than 1 MiB (1048577 bytes)"))
        }
        // Exactly 1 MiB is fine.
        #expect(try EventLineParser.parse(Array(bytes.dropLast())) != nil)
    }

    /// A field name that would not read as one in `FIELD: message` is quoted as JSON.
    @Test func oddFieldNamesAreQuotedInMessages() {
        #expect(InputError(field: "", message: "unknown field").description == #""": unknown field"#)
        #expect(InputError(field: "a b", message: "m").description == #""a b": m"#)
        #expect(InputError(field: "x\u{1}", message: "m").description == #""x\u0001": m"#)
        #expect(InputError(field: "campaign", message: "m").description == "campaign: m")
        do {
            _ = try parse(#"{"":0,"type":"campaign.started","campaign":"c1","at":"2026-11-20T09:30:02Z"}"#)
            Issue.record("an empty field name was accepted")
        } catch {
            #expect("\(error)".hasPrefix(#""": "#), "\(error)")
        }
    }

    /// Input a refusal repeats (an unknown type, status or channel, a repeated key) is shown as a
    /// JSON string, so `FILE:LINE: field: message` stays one line (found by fuzzing: an unknown
    /// type with an escaped line break was echoed raw).
    @Test func echoedInputKeepsTheMessageOnOneLine() {
        let at = #""at":"2026-11-20T09:30:02Z""#
        #expect(throws: InputError(field: "type", message: #"unknown event type "con0tact.remo\u000ave""#)) {
            try parse(#"{"type":"con0tact.remo\nve","campaign":"c1",\#(at)}"#)
        }
        #expect(throws: InputError(field: "type", message: #"unknown event type "a\u0085b\u2028c""#)) {
            try parse(#"{"type":"a\u0085b\u2028c","campaign":"c1",\#(at)}"#)
        }
        #expect(throws: InputError(field: "status", message: #"unknown status "sent\u000d\u000a""#)) {
            try parse(status(status: #""sent\r\n""#))
        }
        #expect(throws: InputError(field: "channel", message: #"unknown channel "sms\u0000"; use whatsapp, sms or telephone"#)) {
            try parse(#"{"type":"campaign.created","campaign":"c1",\#(at),"channel":"sms\u0000"}"#)
        }
        do {
            _ = try parse(#"{"a\nb":1,"a\u000ab":2}"#)
            Issue.record("a repeated key was accepted")
        } catch {
            #expect(error.field == "line")
            #expect(error.message.hasPrefix(#"not JSON (repeated key "a\u000ab" at byte "#), "\(error)")
            #expect(!error.description.contains("\n"), "\(error)")
        }
        // Plain text reads as before.
        #expect(throws: InputError(field: "status", message: #"unknown status "shipped""#)) {
            try parse(status(status: #""shipped""#))
        }
    }

    @Test func messagesSayWhatAndWhy() {
        #expect(throws: InputError(field: "contact", message: "null (required for contact.status)")) {
            try parse(#"{"type":"contact.status","campaign":"c1","at":"2026-11-20T09:30:02Z","contact":null,"status":"sent"}"#)
        }
        #expect(throws: InputError(field: "attempt", message: "must be at most 1,000,000, is 1,000,001")) {
            try parse(status(#","attempt":1000001"#))
        }
        #expect(throws: InputError(field: "id", message: "must be 1 to 128 bytes, is 129")) {
            try parse(status(#","id":""# + String(repeating: "x", count: 129) + "\""))
        }
        #expect(throws: InputError(field: "at", message: "no such date 2026-02-30")) {
            try parse(#"{"type":"campaign.started","campaign":"c","at":"2026-02-30T09:30:02Z"}"#)
        }
        #expect(throws: InputError(field: "meta", message: "nested 33 deep, at most 32 allowed")) {
            try parse(status(#","meta":"# + nested(33)))
        }
    }
}

@Suite struct CodecEventLineAcceptTests {
    @Test func blankLinesAreSkipped() throws {
        #expect(try parse("") == nil)
        #expect(try parse(" \t\r ") == nil)
    }

    @Test func plainStatusLine() throws {
        let p = try #require(try parse(status(#","attempt":1000000,"providerRef":"wamid.1","meta":{"k":1}"#)))
        #expect(p.event == Event(
            type: .contactStatus, campaign: "c1", at: "2026-11-20T09:30:02Z",
            atNanos: 1_795_167_002_000_000_000, contact: "k1", status: .sent, attempt: 1_000_000,
            providerRef: "wamid.1", meta: #"{"k":1}"#))
        #expect(p.readOnly == ReadOnlyFields())
    }

    @Test func lowercaseTAndZ() throws {
        let p = try #require(try parse(#"{"type":"campaign.paused","campaign":"c","at":"2026-11-20t09:30:02z"}"#))
        #expect(p.event.at == "2026-11-20t09:30:02z")
        #expect(p.event.atNanos == 1_795_167_002_000_000_000)
    }

    @Test func offsetAndTwelveFractionDigits() throws {
        let a = try #require(try parse(#"{"type":"campaign.paused","campaign":"c","at":"2026-11-20T10:30:02.125+01:00"}"#))
        #expect(a.event.atNanos == 1_795_167_002_125_000_000)
        let b = try #require(try parse(#"{"type":"campaign.paused","campaign":"c","at":"2026-11-20T09:30:02.123456789999Z"}"#))
        #expect(b.event.atNanos == 1_795_167_002_123_456_789)
        #expect(b.event.at == "2026-11-20T09:30:02.123456789999Z")
    }

    @Test func fieldsTheTypeDoesNotUseAreIgnoredUnchecked() throws {
        let line = #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02Z","channel":5,"status":"bogus","attempt":1.5,"contact":"","address":null,"name":[1]}"#
        let p = try #require(try parse(line))
        #expect(p.event == Event(type: .campaignStarted, campaign: "c", at: "2026-11-20T09:30:02Z",
                                 atNanos: 1_795_167_002_000_000_000))
    }

    @Test func nullOptionalFieldsAreAbsent() throws {
        let p = try #require(try parse(status(#","id":null,"meta":null,"attempt":null,"hash":null"#)))
        #expect(p.event.id == nil && p.event.meta == nil && p.event.attempt == nil)
        #expect(p.readOnly.hash == nil)
    }

    @Test func successfullySubmittedIsAStatus() throws {
        let p = try #require(try parse(status(status: "\"successfully_submitted\"")))
        #expect(p.event.status == .successfullySubmitted)
    }

    @Test func escapedKeysAndValuesAreDecoded() throws {
        let p = try #require(try parse(#"{"typ\u0065":"campaign.started","campaign":"spr\u00efng","at":"2026-11-20T09:30:02\u005a"}"#))
        #expect(p.event.campaign == "spr\u{EF}ng")
        #expect(p.event.at == "2026-11-20T09:30:02Z")
    }

    @Test func metaKeepsReceivedTextWithoutWhitespace() throws {
        let p = try #require(try parse(status(#", "meta" : { "a" : "x\u00e9 y" , "b" : [ 1 , 2.50e0 , {} ] , "c":"😀\/" } "#)))
        #expect(p.event.meta == #"{"a":"x\u00e9 y","b":[1,2.50e0,{}],"c":"😀\/"}"#)
    }

    @Test func metaAtTheLimits() throws {
        #expect(try parse(status(#","meta":"# + nested(32)))?.event.meta != nil)
        // 65,536 bytes compactly: {"a":"…"} is 8 bytes around the text.
        let exact = status(#","meta":{"a":""# + String(repeating: "m", count: 65_528) + "\"}")
        #expect(try parse(exact)?.event.meta?.utf8.count == 65_536)
        // `\/` is written as `/` by the reference model, so 40,000 of them measure 40,008 bytes.
        let escaped = status(#","meta":{"a":""# + String(repeating: #"\/"#, count: 40_000) + "\"}")
        #expect(try parse(escaped)?.event.meta?.utf8.count == 80_008)
    }

    @Test func readerDepthCap() throws {
        let ok = #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02Z","status":"#
            + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}"
        #expect(try parse(ok) != nil)  // 512 levels with the line's object
        let deep = #"{"type":"campaign.started","campaign":"c","at":"2026-11-20T09:30:02Z","status":"#
            + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}"
        #expect(fieldOf(Array(deep.utf8)) == "line")
        #expect(fieldOf(Array(String(repeating: "[", count: 100_000).utf8)) == "line")
    }

    @Test func readOnlyExportFields() throws {
        let line = #"{"type":"contact.added","campaign":"c","at":"2026-11-20T09:30:02Z","contact":"k","address":"+420 601","addressSalt":"000102030405060708090a0b0c0d0e0f","addressDigest":"ABCDEF","position":18446744073709551615,"recordedAt":"2026-11-20T09:30:03.000001Z","hash":"00ff"}"#
        let p = try #require(try parse(line))
        #expect(p.readOnly == ReadOnlyFields(
            position: 18_446_744_073_709_551_615, recordedAt: "2026-11-20T09:30:03.000001Z",
            hash: "00ff", addressSalt: "000102030405060708090a0b0c0d0e0f", addressDigest: "ABCDEF"))
        #expect(p.event.address == "+420 601")
    }

    @Test func validSurrogatePairIsFine() throws {
        let p = try #require(try parse(status(#","actor":"\ud83d\ude00""#)))
        #expect(p.event.actor == "😀")
    }
}
