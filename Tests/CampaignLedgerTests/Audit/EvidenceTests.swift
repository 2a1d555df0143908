import Foundation
import Testing
@testable import CampaignLedger

@Suite("Audit evidence export")
struct AuditEvidenceTests {
    @Test("evidence starts with the chain hash before the campaign and chains to the head")
    func evidenceChainsToHead() throws {
        let ledger = try makeLedger()
        let other = #"{"id":"o1","type":"campaign.created","campaign":"autumn","channel":"sms","at":"2026-11-19T08:00:00Z"}"#
        let lines = [other] + campaignStart + [
            #"{"id":"o2","type":"contact.added","campaign":"autumn","contact":"k1","address":"+420 601 000 000","at":"2026-11-20T08:05:00Z"}"#,
        ]
        _ = try ledger.importLines(jsonl(lines))
        var out: [String] = []
        try ledger.export(campaign: "spring", evidence: true) { out.append(String($0.dropLast())) }
        // Lines: the chain hash at position 1 (before spring), spring's events 2…5, the digest of 6.
        #expect(out.count == 6)
        #expect(out[0] == "{\"position\":1,\"hash\":\"\(hex(try #require(try ledger.event(at: 1)).hash))\"}")
        #expect(out[5] == "{\"position\":6,\"digest\":\"\(hex(ExportLine.digest(try #require(try ledger.event(at: 6)))))\"}")
        var chain = try #require(try ledger.event(at: 1)).hash
        for p in UInt64(2)...6 {
            chain = ExportLine.chain(previous: chain, digest: ExportLine.digest(try #require(try ledger.event(at: p))))
        }
        #expect(chain == (try ledger.head()).hash)
    }
}
