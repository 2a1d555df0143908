import Testing
@testable import CampaignLedger

@Suite struct CodecRecordTests {
    @Test(arguments: [UInt8(1), 2])
    func randomEventsRoundTrip(version: UInt8) throws {
        var g = SeededGenerator(state: 1)
        for _ in 0..<2000 {
            let r = RandomEvents.recorded(&g, version: version)
            let bytes = EventRecord.encode(r, version: version)
            #expect(bytes[0] == version)
            let back = try EventRecord.decode(bytes)
            #expect(back == r)
            #expect(back.event.meta?.utf8.elementsEqual(r.event.meta?.utf8 ?? "".utf8) ?? (r.event.meta == nil))
        }
    }

    /// Ids the ledger assigns (`imp-`/`ev-` + 32 lowercase hex digits) are kept as 16 bytes in
    /// version 2; anything else, even one letter off, as text; both read back exactly.
    @Test func assignedIdsAreKeptCompactInVersionTwo() throws {
        let hex = "0123456789abcdef0123456789abcdef"
        let cases: [(String, Bool)] = [
            ("imp-" + hex, true), ("ev-" + hex, true), ("imp-" + hex.uppercased(), false), ("ev-" + hex + "0", false),
            ("imp-" + hex.dropLast() + "g", false), ("wamid." + hex, false), ("ev-", false), ("imp-0", false),
        ]
        for (id, compact) in cases {
            let e = Event(type: .contactStatus, campaign: "c", at: "t", atNanos: 0, id: id, contact: "k", status: .sent)
            let r = RecordedEvent(position: 1, recordedAtMicros: 0, event: e, addressSalt: nil, hash: .init(repeating: 0, count: 32))
            let v1 = EventRecord.encode(r, version: 1)
            let v2 = EventRecord.encode(r)
            #expect(try EventRecord.decode(v2).event.id == id)
            #expect(try EventRecord.decode(v1).event.id == id)
            let idForm = (UInt16(v2[58]) << 8 | UInt16(v2[59])) >> 13
            #expect((idForm != 0) == compact, "\(id)")
            // Three strings (campaign, at, contact) lose 3 length bytes each; the id its 4 and its text.
            if compact { #expect(v2.count == v1.count - 3 * 3 - 4 - (id.utf8.count - 16), "\(id): \(v1.count) → \(v2.count)") }
        }
    }

    @Test func layoutOfAKnownRecordInVersionTwo() {
        let e = Event(type: .contactStatus, campaign: "c", at: "t", atNanos: -1, id: "ev-" + String(repeating: "0f", count: 16),
                      contact: "k", status: .sent, attempt: 258)
        let r = RecordedEvent(position: 5, recordedAtMicros: 7, event: e, addressSalt: nil,
                              hash: [UInt8](repeating: 0xAB, count: 32))
        let expected: [UInt8] = [2, 9] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 7]
            + [UInt8](repeating: 0xAB, count: 32) + [UInt8](repeating: 0xFF, count: 8)
            + [0b0100_0000, 0b0110_0011]  // id form 2 (bits 13-14), id (bit 0), contact (1), status (5), attempt (6)
            + [1, 0x63] + [1, 0x74]  // campaign "c", at "t": varint lengths
            + [UInt8](repeating: 0x0F, count: 16)  // the id's 16 bytes
            + [1, 0x6B]  // contact "k"
            + [ContactState.sent.code] + [0x82, 0x02]  // attempt 258 as a varint
        #expect(EventRecord.encode(r) == expected)
    }

    /// One encoding per record: an overlong varint, or a compact-shaped id kept as text, is refused.
    @Test func versionTwoHasOneEncoding() {
        let e = Event(type: .campaignStarted, campaign: "c", at: "t", atNanos: 0)
        let good = EventRecord.encode(RecordedEvent(position: 1, recordedAtMicros: 0, event: e, addressSalt: nil,
                                                    hash: .init(repeating: 0, count: 32)))
        #expect((try? EventRecord.decode(good)) != nil)
        var overlong = Array(good[..<60]) + [0x81, 0x00, 0x63] + Array(good[62...])
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(overlong) }
        overlong = Array(good[..<60]) + [0x80, 0x80, 0x80, 0x80, 0x80, 0x01] + Array(good[61...])
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(overlong) }
        let id = "imp-" + String(repeating: "a", count: 32)
        let withID = Event(type: .campaignStarted, campaign: "c", at: "t", atNanos: 0, id: id)
        let textual = EventRecord.encode(RecordedEvent(position: 1, recordedAtMicros: 0, event: withID, addressSalt: nil,
                                                       hash: .init(repeating: 0, count: 32)), version: 1)
        // The same record as version 2 but with the id as text (what a writer must not do).
        var asV2: [UInt8] = [2] + textual[1..<60] + [1, 0x63, 1, 0x74, UInt8(id.utf8.count)] + Array(id.utf8)
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(asV2) }
        asV2[0] = 1
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(asV2) }  // not version 1 either
    }

    @Test func layoutOfAKnownRecordInVersionOne() {
        let e = Event(type: .contactStatus, campaign: "c", at: "t", atNanos: -1, contact: "k",
                      status: .sent, attempt: 258)
        let r = RecordedEvent(position: 5, recordedAtMicros: 7, event: e, addressSalt: nil,
                              hash: [UInt8](repeating: 0xAB, count: 32))
        let expected: [UInt8] = [1, 9] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 7]
            + [UInt8](repeating: 0xAB, count: 32) + [UInt8](repeating: 0xFF, count: 8)
            + [0b0000_0000, 0b0110_0010]  // contact (bit 1), status (bit 5), attempt (bit 6)
            + [0, 0, 0, 1, 0x63] + [0, 0, 0, 1, 0x74]  // campaign "c", at "t"
            + [0, 0, 0, 1, 0x6B]  // contact "k"
            + [ContactState.sent.code] + [0, 0, 1, 2]
        #expect(EventRecord.encode(r, version: 1) == expected)
        #expect(ContactState.sent.code == 9)  // stable codes: the 9th case
    }

    @Test func corruptRecordsGiveErrorsNotCrashes() {
        var g = SeededGenerator(state: 2)
        var errors = 0
        for _ in 0..<300 {
            let good = EventRecord.encode(RandomEvents.recorded(&g))
            for cut in [0, 1, 2, 10, 49, 59, good.count - 1] where cut < good.count {
                #expect(throws: RecordDecodeError.self) { try EventRecord.decode(Array(good.prefix(cut))) }
            }
            #expect(throws: RecordDecodeError.self) { try EventRecord.decode(good + [0]) }
            var flipped = good
            let k = Int.random(in: 0..<flipped.count, using: &g)
            flipped[k] ^= 1 << UInt8.random(in: 0..<8, using: &g)
            if (try? EventRecord.decode(flipped)) == nil { errors += 1 }
            let noise = (0..<Int.random(in: 0..<200, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            _ = try? EventRecord.decode(noise)
            _ = try? EventRecord.decode([1] + noise)
        }
        #expect(errors > 0)
    }

    @Test func specificCorruptionsAreNamed() {
        let e = Event(type: .campaignCreated, campaign: "c", at: "t", atNanos: 0, channel: .sms)
        let good = EventRecord.encode(RecordedEvent(position: 1, recordedAtMicros: 0, event: e,
                                                    addressSalt: nil, hash: .init(repeating: 0, count: 32)))
        var v = good
        v[0] = 3
        #expect(throws: RecordDecodeError(message: "record format version 3, this build reads 1 and 2", offset: 0)) {
            try EventRecord.decode(v)
        }
        var t = good
        t[1] = 200  // no event type has this code
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(t) }
        var c = good
        c[c.count - 1] = 4  // channel code
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(c) }
        var s = good
        s[good.count - 2] = 0xFF  // `at` is no longer UTF-8
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(s) }
        var len = good
        len[60] = 0x7F  // campaign length far past the end
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(len) }
    }
}

@Suite struct RecordViewCheckingTests {
    /// A record whose last byte is the second byte of `actor`, made not UTF-8.
    func withBadActor(_ e: Event) -> [UInt8] {
        var e = e
        e.actor = "zz"
        var bytes = EventRecord.encode(RecordedEvent(
            position: 1, recordedAtMicros: 0, event: e, addressSalt: nil, hash: .init(repeating: 0, count: 32)))
        #expect(bytes.last == UInt8(ascii: "z"))
        bytes[bytes.count - 1] = 0xFF
        return bytes
    }

    @Test func aFoldingViewOfAReportChecksOnlyTheTextsTheFoldReads() throws {
        let report = Event(type: .contactStatus, campaign: "c", at: "t", atNanos: 0, contact: "k", status: .sent, attempt: 1)
        let bytes = withBadActor(report)
        try bytes.withUnsafeBytes { p in
            #expect(throws: RecordDecodeError.self) { try RecordView(p) }
            let view = try RecordView(p, checking: .foldedTexts)
            #expect(view.isContactReport && view.status == .sent && view.position == 1)
        }
        // A text the fold reads is checked either way.
        var badAt = EventRecord.encode(RecordedEvent(
            position: 1, recordedAtMicros: 0, event: report, addressSalt: nil, hash: .init(repeating: 0, count: 32)))
        let at = badAt.firstIndex(of: UInt8(ascii: "t"))!
        badAt[at] = 0xC0
        badAt.withUnsafeBytes { p in
            #expect(throws: RecordDecodeError.self) { try RecordView(p, checking: .foldedTexts) }
        }
    }

    @Test func aFoldingViewOfAnyOtherRecordChecksEveryText() {
        let lifecycle = Event(type: .campaignCreated, campaign: "c", at: "t", atNanos: 0, channel: .sms)
        withBadActor(lifecycle).withUnsafeBytes { p in
            #expect(throws: RecordDecodeError.self) { try RecordView(p, checking: .foldedTexts) }
        }
    }
}
