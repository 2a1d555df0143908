import Testing
@testable import CampaignLedger

@Suite struct CodecExportTests {
    static let created = RecordedEvent(
        position: 1, recordedAtMicros: 1_795_167_003_000_001,
        event: Event(type: .campaignCreated, campaign: "spring", at: "2026-11-20T09:30:02Z",
                     atNanos: 1_795_167_002_000_000_000, id: "e1", channel: .whatsapp,
                     name: "Spring \"promo\""),
        addressSalt: nil, hash: [UInt8](repeating: 0, count: 32))

    @Test func canonicalBytesDigestAndChain() {
        // Expected values written by hand from DESIGN.md §3 (digests by an independent SHA-256).
        let canonical = #"{"type":"campaign.created","campaign":"spring","at":"2026-11-20T09:30:02Z","id":"e1","channel":"whatsapp","name":"Spring \"promo\"","position":1,"recordedAt":"2026-11-20T09:30:03.000001Z"}"#
        #expect(String(decoding: ExportLine.canonicalBytes(Self.created), as: UTF8.self) == canonical)
        let digest = ExportLine.digest(Self.created)
        #expect(Hex.encode(digest) == "66e68577be70f34b4741153fc2fb7c4f02cfb09861e4e83b616ba5a86bb173f7")
        #expect(Hex.encode(ExportLine.chain(previous: ExportLine.genesis, digest: digest))
                == "ccef2babc631a9c4a5b8cf9a9f2f3ded8ebe8c4070907c3ed851486757ce3deb")
    }

    @Test func exportLineOrderAndAddressDigest() {
        let e = Event(type: .contactAdded, campaign: "c", at: "2026-11-20T09:30:02Z", atNanos: 0,
                      id: "i", contact: "k", address: "+420601234567", actor: "admin:a\u{01}",
                      meta: #"{"b":1,"a":"\u00e9"}"#)
        let r = RecordedEvent(position: 2, recordedAtMicros: 0, event: e, addressSalt: Array(0..<16),
                              hash: [UInt8](repeating: 0xAB, count: 32))
        let digest = "17d298223727d257ef4c3ecdf934a820709c8a691ada0614898c1de0fff7036b"
        #expect(ExportLine.exportJSON(r) == #"{"type":"contact.added","campaign":"c","at":"2026-11-20T09:30:02Z","id":"i","contact":"k","address":"+420601234567","addressSalt":"000102030405060708090a0b0c0d0e0f","addressDigest":""#
                + digest + #"","actor":"admin:a\u0001","meta":{"b":1,"a":"\u00e9"},"position":2,"recordedAt":"1970-01-01T00:00:00.000000Z","hash":""#
                + String(repeating: "ab", count: 32) + #""}"#)
        #expect(String(decoding: ExportLine.canonicalBytes(r), as: UTF8.self) == #"{"type":"contact.added","campaign":"c","at":"2026-11-20T09:30:02Z","id":"i","contact":"k","addressDigest":""#
                + digest + #"","actor":"admin:a\u0001","meta":{"b":1,"a":"\u00e9"},"position":2,"recordedAt":"1970-01-01T00:00:00.000000Z"}"#)
    }

    @Test func exportLinesParseBackToTheSameEvent() throws {
        var g = SeededGenerator(state: 3)
        for _ in 0..<1000 {
            var r = RandomEvents.recorded(&g)
            r.recordedAtMicros = Int64.random(in: 0..<4_000_000_000_000_000, using: &g)
            let line = ExportLine.exportJSON(r)
            let parsed = try #require(try EventLineParser.parse(Array(line.utf8)))
            #expect(parsed.event == r.event)
            #expect(DuplicateKey.sameContent(parsed.event, as: r.event))
            #expect(parsed.readOnly.position == r.position)
            #expect(parsed.readOnly.recordedAt == RFC3339.formatMicros(r.recordedAtMicros))
            #expect(parsed.readOnly.hash == Hex.encode(r.hash))
            #expect(parsed.readOnly.addressSalt == r.addressSalt.map { Hex.encode($0) })
        }
    }

    @Test func csv() {
        #expect(ExportLine.csvHeader == "position,recordedAt,type,campaign,contact,at,id,status,attempt,code,reason,providerRef,actor,channel,name,address,meta,hash")
        #expect(ExportLine.csvRow(Self.created) == #"1,2026-11-20T09:30:03.000001Z,campaign.created,spring,,2026-11-20T09:30:02Z,e1,,,,,,,whatsapp,"Spring ""promo""",,,"# + String(repeating: "0", count: 64))
        var r = Self.created
        r.event.name = "a,b\nc"
        r.event.meta = #"{"x":1}"#
        #expect(ExportLine.csvRow(r).contains(#","a,b"# + "\n" + #"c",,"{""x"":1}","#))
    }
}

@Suite struct CodecTimeTests {
    @Test func knownInstants() throws {
        #expect(try RFC3339.parseNanos("1970-01-01T00:00:00Z") == 0)
        #expect(try RFC3339.parseNanos("1970-01-01T00:00:00+01:00") == -3_600_000_000_000)
        #expect(try RFC3339.parseNanos("2024-02-29T23:59:59Z") == 1_709_251_199_000_000_000)
        #expect(try RFC3339.parseNanos("2000-02-29T00:00:00.5-00:30") == 951_784_200_500_000_000)
        #expect(try RFC3339.parseNanos("1969-12-31T23:00:00.000000001Z") == -3_599_999_999_999)
    }

    @Test(arguments: ["1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
                      "0000-01-01T00:00:00Z", "2026-11-20T23:60:00Z", "2026-11-20T09:30:02+05:60",
                      "2026-11-20T09:30:02", "2026-11-20T09:30:02ZZ", "2026-1-20T09:30:02Z",
                      "2026-11-20T09:30:02.Z", "٢٠٢٦-11-20T09:30:02Z", "3000-01-01T00:00:00Z"])
    func rejected(_ text: String) {
        #expect(throws: RFC3339.ParseError.self) { try RFC3339.parseNanos(text) }
    }

    @Test func formatsMicros() {
        #expect(RFC3339.formatMicros(0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.formatMicros(1_795_167_003_000_001) == "2026-11-20T09:30:03.000001Z")
        #expect(RFC3339.formatMicros(-1) == "1969-12-31T23:59:59.999999Z")
        #expect(RFC3339.formatMicros(951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
    }
}

@Suite struct CodecDuplicateKeyTests {
    static let base = Event(type: .contactStatus, campaign: "c", at: "2026-11-20T09:30:02Z",
                            atNanos: 1, contact: "k", status: .read, attempt: 2,
                            meta: #"{"a":1,"b":[true,0.5]}"#)

    @Test func sameContentRules() {
        var new = Self.base
        #expect(DuplicateKey.sameContent(new, as: Self.base))
        new.attempt = nil  // a re-delivery without attempt matches the resolved one
        #expect(DuplicateKey.sameContent(new, as: Self.base))
        new.attempt = 3
        #expect(!DuplicateKey.sameContent(new, as: Self.base))
        new = Self.base
        new.meta = #"{"b":[true,5e-1],"a":1.0}"#  // same JSON value
        #expect(DuplicateKey.sameContent(new, as: Self.base))
        new.meta = #"{"b":[1,0.5],"a":1}"#  // true is not 1
        #expect(!DuplicateKey.sameContent(new, as: Self.base))
        new = Self.base
        new.at = "2026-11-20T10:30:02+01:00"  // same instant, different text
        #expect(!DuplicateKey.sameContent(new, as: Self.base))
        new = Self.base
        new.contact = "k\u{301}"  // no Unicode normalization
        var stored = Self.base
        stored.contact = "\u{1E31}"
        #expect(!DuplicateKey.sameContent(new, as: stored))
        new = Self.base
        new.meta = nil
        #expect(!DuplicateKey.sameContent(new, as: Self.base))
    }

    @Test func canonicalNumbers() {
        #expect(JSONCanonical.canonical(#"{"z":-0,"y":1e30,"x":[1.0,-0.0,2.5,1e400]}"#).map { String(decoding: $0, as: UTF8.self) }
                == #"{"x":[1,0,2.5,Infinity],"y":1000000000000000019884624838656,"z":0}"#)
        #expect(JSONCanonical.canonical(#"{"a":1} x"#) == nil)
    }

    /// Canonical text of nested containers, read by `StrictJSON` one level at a time: members
    /// sorted by decoded key bytes at every depth, strings decoded and re-escaped, whitespace
    /// gone; any JSON text may be the top level; what StrictJSON rejects has no canonical text.
    @Test func canonicalStructure() {
        func text(_ json: String) -> String? {
            JSONCanonical.canonical(json).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(text(#" { "b" : { "d" : [ {"y":1, "x":"\u0041\n"} , [ ] , { } ], "c":null } , "a" : "\/" } "#)
                == #"{"a":"/","b":{"c":null,"d":[{"x":"A\u000a","y":1},[],{}]}}"#)
        #expect(text(#"{"\u00e9":1,"z":2,"\u007a\u007a":[true,false]}"#) == #"{"z":2,"zz":[true,false],"é":1}"#)
        #expect(text(#"[ 3 , "x" , [1.50] ]"#) == #"[3,"x",[1.5]]"#)
        #expect(text(#" "s\"" "#) == #""s\"""#)
        #expect(text(" 1.50 ") == "1.5")
        #expect(text(#"{"a":1,"a":1}"#) == nil)
        #expect(text(#"{"a":{"b":1,"\u0062":2}}"#) == nil)
        #expect(text(String(repeating: "[", count: 513) + String(repeating: "]", count: 513)) == nil)
        #expect(text(String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
                == String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        #expect(text("") == nil)
        #expect(text("[1,]") == nil)
    }

    @Test func derivedIDs() {
        let e = Event(type: .campaignStarted, campaign: "spring", at: "2026-11-20T09:30:02Z",
                      atNanos: 0, meta: #"{"b":[true,0.5],"a":1}"#)
        #expect(String(decoding: DuplicateKey.canonicalContent(e), as: UTF8.self)
                == #"{"at":"2026-11-20T09:30:02Z","campaign":"spring","meta":{"a":1,"b":[true,0.5]},"type":"campaign.started"}"#)
        // "imp-" + first 32 hex of SHA-256(canonical ‖ "\n0"), computed independently.
        #expect(DuplicateKey.derivedID(for: e, occurrence: 0) == "imp-4ceedc3906b7b857e76dd20e5390328c")
        #expect(DuplicateKey.derivedID(for: e, occurrence: 1) == "imp-1ad6f1db80776f8979c82088a9d6eaff")
        var same = e
        same.meta = #"{"a":1.0,"b":[true,5e-1]}"#
        #expect(DuplicateKey.derivedID(for: same, occurrence: 0) == "imp-4ceedc3906b7b857e76dd20e5390328c")
    }
}

@Suite struct CodecStrictJSONTests {
    func read(_ s: String) throws(StrictJSON.SyntaxError) -> StrictJSON.Document {
        let result = Array(s.utf8).withUnsafeBytes { p in
            Result { () throws(StrictJSON.SyntaxError) -> StrictJSON.Document in try StrictJSON.read(p) }
        }
        return try result.get()
    }

    @Test func membersAndRanges() throws {
        let d = try read(#" {"a" : 1.5 , "b":[{"c":"\ud800"}], "\u0063":true} "#)
        #expect(d.isObject && d.members.count == 3)
        #expect(d.members[0].kind == .number && !d.members[0].flag)
        #expect(d.members[1].kind == .array && d.members[1].depth == 2 && d.members[1].valueHasLoneSurrogate)
        #expect(d.members[2].keyHasEscape && d.members[2].kind == .bool && d.members[2].flag)
        #expect(d.members[0].valueStart == 8 && d.members[0].valueEnd == 11)
    }

    @Test func repeatedKeysInLargeObjects() {
        let keys = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect((try? read("{" + keys + "}")) != nil)
        #expect((try? read("{" + keys + #","\u006b7":0}"#)) == nil)
        #expect((try? read(#"{"a":{"x":1},"b":{"x":1}}"#)) != nil)  // same key in sibling objects
    }
}
