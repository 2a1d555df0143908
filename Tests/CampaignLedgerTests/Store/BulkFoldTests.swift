import Foundation
import PropertyBased
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

/// The rebuild's bulk phase folds shares of the contacts in parallel, defers the metrics to the
/// end, and looks contacts up by their bytes: each of these must give exactly the records of the
/// plain incremental fold.
@Suite(.timeLimit(.minutes(10))) struct BulkFoldTests {
    func events(seed: UInt64) throws -> [RecordedEvent] {
        var lines: [String] = []
        HistoryGenerator(seed: seed, campaigns: 5, contactsPerCampaign: 60).generate { lines.append($0) }
        let ledger = try makeLedger()
        try ledger.importLines(jsonl(lines))
        return try ledger.store.records(from: 1, limit: .max)
    }

    /// A share's fold, encoded campaign by campaign (in the order created), as a share of the
    /// bulk phase encodes it.
    func part(_ events: [RecordedEvent], _ share: Projector.Share) -> [CampaignShareRecords] {
        var projector = Projector(deferringMetrics: true, share: share)
        for e in events { projector.apply(e) }
        return encode(projector)
    }

    /// Each campaign of `projector` as one part: its contacts and its timing entries (the bulk
    /// phase hands them over as two steps).
    func encode(_ projector: Projector) -> [CampaignShareRecords] {
        var writer = DomainByteWriter()
        return projector.campaigns.map { entry in
            var (part, pending) = CampaignShareRecords.encodeContacts(entry, writer: &writer)
            let timed = CampaignShareRecords.encodeTimings(entry, pending)
            part.timings = timed.timings
            part.fingerprint.add(timed.fingerprint)
            return part
        }
    }

    /// Every record of a build made from the parts of every share, per database (campaigns,
    /// contacts, timings), and the fingerprint: what the bulk phase writes.
    func whole(_ parts: [[CampaignShareRecords]]) -> (lists: [[Record]], fingerprint: Fingerprint) {
        let first = parts[0]
        let campaigns = KeyOrderedRecords(aggregates: first.indices.map { i in
            (first[i].id, CampaignShareRecords.mergedAggregate(of: parts.map { $0[i] })!)
        })
        var lists = materialized(campaigns)
        var fingerprint = campaigns.fingerprint
        for i in KeyOrderedRecords.campaignWriteOrder(first.map(\.id)) {
            let records = KeyOrderedRecords(campaign: parts.map { $0[i] })
            let more = materialized(records)
            for d in lists.indices { lists[d] += more[d] }
            fingerprint.add(records.fingerprint)
        }
        return (lists, fingerprint)
    }

    typealias Record = (key: [UInt8], value: [UInt8])

    func materialized(_ r: KeyOrderedRecords) -> [[Record]] {
        r.lists.map { $0.map { (Array(r.key($0)), Array(r.value($0))) } }
    }

    func keysAndValues(_ lists: [[Record]]) -> [[[UInt8]]] {
        lists.map { $0.map(\.key) } + lists.map { $0.map(\.value) }
    }

    @Test(arguments: [2, 3, 4])
    func sharesMergeIntoTheWholeFold(shares: Int) throws {
        let events = try events(seed: UInt64(shares))
        let whole = self.whole([part(events, .init())])
        let parts = (0..<shares).map { part(events, .init(index: $0, count: shares)) }
        // Every share holds some contacts, and no contact is in two shares.
        let counts = parts.map { $0.reduce(0) { $0 + $1.contacts.count } }
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(counts.reduce(0, +) == whole.lists[1].count)
        #expect(whole.lists[1].count == Set(events.compactMap { e in e.event.contact.map { [e.event.campaign, $0] } }).count)
        let merged = self.whole(parts)
        #expect(keysAndValues(merged.lists) == keysAndValues(whole.lists))
        // The fingerprint is the sum of every record's term, however the shares were cut.
        var sum = Fingerprint()
        for list in whole.lists { for (key, value) in list { sum.add(.term(key, value)) } }
        #expect(merged.fingerprint == sum)
        #expect(whole.fingerprint == sum)
        // Keys are in LMDB's order in each database, as MDB_APPEND needs.
        for list in whole.lists {
            #expect(zip(list, list.dropFirst()).allSatisfy { bytesPrecede($0.key, $1.key) })
        }
    }

    @Test func deferredMetricsEqualIncrementalOnes() throws {
        let events = try events(seed: 9)
        let incremental = Projector(events)
        var deferred = Projector(deferringMetrics: true)
        for e in events { deferred.apply(e) }
        #expect(deferred.campaigns.allSatisfy { $0.aggregate.metrics.contacts == 0 })
        // The bulk part counts each contact once, from its final fold: the campaign records are
        // those of the fold that counted every report as it came.
        let counted = whole([encode(deferred)]).lists[0]
        let expected = incremental.campaigns.map { (Array($0.id.utf8), $0.aggregate.encoded()) }
            .sorted { bytesPrecede($0.0, $1.0) }
        #expect(counted.map(\.key) == expected.map(\.0))
        #expect(counted.map(\.value) == expected.map(\.1))
        #expect(counted.allSatisfy { !$0.value.isEmpty })
    }

    @Test func recordsReadInPlaceFoldAsDecodedOnes() throws {
        let events = try events(seed: 5)
        let decoded = Projector(events)
        var inPlace = Projector()
        for e in events {
            EventRecord.encode(e).withUnsafeBytes { bytes in
                inPlace.apply(try! RecordView(bytes))
                // The shares' quick look at the contact finds the same id, or none.
                #expect(RecordView.contactBytes(bytes).map { String(decoding: $0, as: UTF8.self) } == e.event.contact)
                #expect(RecordView.contactBytes(UnsafeRawBufferPointer(rebasing: bytes.dropLast(1))) == nil || e.event.contact != nil)
            }
        }
        for c in decoded.campaigns {
            #expect(inPlace.campaignShow(c.id) == decoded.campaignShow(c.id))
            #expect(inPlace.contactList(c.id) == decoded.contactList(c.id))
        }
    }

    @Test func idTableFindsEveryIdAndNoOther() async {
        // A small alphabet, so that ids repeat; lengths around the 8-byte words the hash reads.
        await propertyCheck(count: 200, input: Gen.character(in: "a"..."d").string(of: 0...19).array(of: 0...300)) { ids in
            var table = IDTable()
            var expected: [String: Int] = [:]
            for id in ids {
                let (slot, inserted) = table.insert(id)
                #expect(inserted == (expected[id] == nil))
                if inserted { expected[id] = slot }
                #expect(expected[id] == slot)
            }
            #expect(table.count == expected.count)
            for (id, slot) in expected {
                #expect(table.slot(id) == slot)
                #expect(table.id(slot) == id)
            }
            #expect(table.slot("\u{0}absent") == nil)
        }
    }

    @Test func idTableSortsItsSlotsAsLMDBOrdersKeys() async {
        // Ids sharing long prefixes (past the 16 bytes compared as integers), zero bytes, and ids
        // that are prefixes of others.
        let gen = Gen.character(in: "\u{0}"..."\u{2}").string(of: 0...3).array(of: 0...200)
        await propertyCheck(count: 200, input: gen, Gen.int(in: 0...20)) { suffixes, shared in
            var table = IDTable()
            let prefix = String(repeating: "c", count: shared)
            for s in suffixes { _ = table.insert(prefix + s) }
            let sorted = table.sortedSlots().map { table.id(Int($0)) }
            let expected = Set(suffixes.map { prefix + $0 }).sorted { bytesPrecede(Array($0.utf8), Array($1.utf8)) }
            #expect(sorted == expected)
        }
    }

    @Test func foldTextsKeepTheirBytesInlineOrNot() async {
        // Around the inline capacity (39 bytes), with multi-byte characters.
        await propertyCheck(count: 300, input: Gen.character(in: "a"..."é").string(of: 0...60)) { s in
            let text = FoldText(s)
            #expect(text.string == s)
            #expect(text.withBytes { Array($0) } == Array(s.utf8))
            var copy = s
            let fromBytes = copy.withUTF8 { FoldText(validUTF8: UnsafeRawBufferPointer($0)) }
            #expect(fromBytes == text)
            #expect(fromBytes.hashValue == text.hashValue)
            #expect(text != FoldText(s + "x"))
            #expect(text.withBytes { text.equals($0) })
        }
        #expect([0xC3, 0x28].withUnsafeBytes { FoldText(validating: $0) } == nil)
    }

    @Test func foldsWithLongTextsSurviveTheirBinaryForm() throws {
        // Every text of a fold longer than what is kept inline.
        let long = String(repeating: "x", count: 45)
        var fold = ContactFold()
        fold.apply(DomainLog.event(.contactAdded, contact: "k", address: "+1" + String(repeating: " ", count: 40) + "555 0100"), position: 1, family: .messaging)
        let status = DomainLog.event(
            .contactStatus, contact: "k", at: 2, status: .deliveryFailed, attempt: 1, code: "code-" + long,
            reason: "reason-" + long, ref: "ref-" + long)
        fold.apply(status, position: 2, family: .messaging)
        #expect(fold.state == .deliveryFailed && fold.address?.utf8.count == 50)
        #expect(fold.code == "code-" + long && fold.reason == "reason-" + long && fold.providerRef == "ref-" + long)
        #expect(try ContactFold(decoding: fold.encoded()) == fold)
    }

    @Test func segmentedArraysAppendAndUpdateInPlaceAcrossSegments() {
        var array = SegmentedArray<Int>()
        let n = SegmentedArray<Int>.segmentSize * 2 + 17
        for i in 0..<n { array.append(i) }
        for i in stride(from: 0, to: n, by: 3) { array[i] += 1_000_000 }
        #expect(array.count == n)
        #expect(Array(array) == (0..<n).map { $0 % 3 == 0 ? $0 + 1_000_000 : $0 })
    }

    @Test func recordArenasHoldKeysAndValuesBackToBack() {
        var arena = RecordArena()
        var expected: [([UInt8], [UInt8])] = []
        for i in 0..<3_000 {  // past the first growth of the buffer
            let head = [UInt8(i % 7)]
            let rest = Array("key\(i)".utf8)
            let key = head + rest
            let value = [UInt8](repeating: UInt8(i % 256), count: i % 300)
            let term = rest.withUnsafeBytes { r in value.withUnsafeBytes { v in arena.append(key: head, r, value: v) } }
            #expect(term == Fingerprint.term(key, value))
            expected.append((key, value))
        }
        #expect(arena.count == expected.count)
        for (i, (key, value)) in expected.enumerated() {
            #expect(Array(arena.key(i)) == key && Array(arena.value(i)) == value)
        }
    }
}
