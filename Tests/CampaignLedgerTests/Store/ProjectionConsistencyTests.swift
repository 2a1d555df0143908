import Foundation
import Testing
import CampaignLedger
import CampaignLedgerDemo

/// The inline projections, maintained event by event inside the append transactions, must equal
/// the projections computed by folding the whole log from scratch — for realistic, messy
/// histories imported in batches of every size.
@Suite(.timeLimit(.minutes(10))) struct ProjectionConsistencyTests {
    @Test(arguments: [(seed: UInt64(1), batch: 10_000), (2, 7), (3, 1), (4, 64), (5, 333)])
    func incrementalEqualsAFreshFold(seed: UInt64, batch: Int) throws {
        var lines: [String] = []
        HistoryGenerator(seed: seed, campaigns: 5, contactsPerCampaign: 30).generate { lines.append($0) }
        let ledger = try makeLedger()
        var options = ImportOptions()
        options.batchSize = batch
        let summary = try ledger.importLines(jsonl(lines), options: options)
        #expect(summary.rejected.isEmpty, "\(summary.rejected.prefix(3))")
        #expect(summary.appended > 0)

        // A fresh fold of the whole log, with the same domain code but none of the store.
        let log = try ledger.events(from: 1, limit: .max)
        #expect(log.count == summary.appended)
        let fold = Projector(log)
        for entry in fold.campaigns {
            let stored = try ledger.campaignJSON(entry.id)
            let fresh = try #require(fold.campaignShow(entry.id, build: try ledger.projectionBuild))
            #expect(stored["metrics"] == fresh["metrics"], "campaign \(entry.id)")
            #expect(stored["status"] == fresh["status"])
            #expect(stored["endedBy"] == fresh["endedBy"])
            #expect(stored["paused"] == fresh["paused"])
            let contacts = try ledger.contactListJSON(campaign: entry.id)
            #expect(contacts == fold.contactList(entry.id), "contacts of \(entry.id)")
        }
        #expect(try ledger.verify().isOK)
    }

    @Test func subscribeCatchesUpThenFollowsLiveAppends() async throws {
        let ledger = try makeLedger()
        try await ledger.append(campaignStart.map(event))
        // Bounded: a subscription that never delivers position 5 fails the test instead of
        // waiting for ever.
        let seen = try await withDeadline(60, "position 5 from the subscription") {
            var seen: [UInt64] = []
            let stream = ledger.subscribe(from: 2, pollInterval: .milliseconds(10))
            for try await record in stream {
                seen.append(record.position)
                if record.position == 4 {
                    try await ledger.append([event(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z"}"#)])
                }
                if record.position == 5 { break }
            }
            return seen
        }
        #expect(seen == [2, 3, 4, 5])
    }
}
