import Testing
@testable import CampaignLedger

@Suite struct CodecRecordTests {
    @Test func randomEventsRoundTrip() throws {
        var g = SeededGenerator(state: 1)
        for _ in 0..<2000 {
            let r = RandomEvents.recorded(&g)
            let bytes = EventRecord.encode(r)
            let back = try EventRecord.decode(bytes)
            #expect(back == r)
            #expect(back.event.meta?.utf8.elementsEqual(r.event.meta?.utf8 ?? "".utf8) ?? (r.event.meta == nil))
        }
    }

    @Test func layoutOfAKnownRecord() {
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
        #expect(EventRecord.encode(r) == expected)
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
        v[0] = 2
        #expect(throws: RecordDecodeError(message: "record format version 2, this build reads 1", offset: 0)) {
            try EventRecord.decode(v)
        }
        var t = good
        t[1] = 10
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(t) }
        var c = good
        c[c.count - 1] = 4  // channel code
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(c) }
        var s = good
        s[good.count - 2] = 0xFF  // `at` is no longer UTF-8
        #expect(throws: RecordDecodeError.self) { try EventRecord.decode(s) }
        var len = good
        len[59] = 0xFF  // campaign length far past the end
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
