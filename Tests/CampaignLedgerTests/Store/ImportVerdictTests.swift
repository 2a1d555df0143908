import Foundation
import LMDB
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

/// Validate once: an import's appending pass takes the first pass's verdicts while the head shows
/// that nobody appended since, and judges its batches again otherwise.
@Suite struct ImportVerdictTests {
    /// The registry (campaign phases, contacts' highest attempts and flags) as raw entries.
    func registry(_ ledger: Ledger) throws -> [[UInt8]: [UInt8]] {
        try ledger.store.environment.read { txn in
            var out: [[UInt8]: [UInt8]] = [:]
            try txn.forEach(ledger.store.layout.registry) { key, value in
                out[Array(key)] = Array(value)
                return true
            }
            return out
        }
    }

    func redeliveries(_ ledger: Ledger) throws -> [(id: String, repeats: UInt64)] {
        try ledger.store.environment.read { txn in try ledger.store.redeliveries(txn) }.map { ($0.id, $0.repeats) }
    }

    /// The same file into two stores, in batches of 7: one taking the first pass's verdicts, one
    /// judging every batch again. Same events at the same positions, same registry, same
    /// re-deliveries, same answers; then the same again for a second import of the file (all
    /// duplicates) and for appends that depend on the registry.
    @Test(arguments: [UInt64(3), 17, 40])
    func reusedVerdictsLeaveTheStoreThatJudgingAgainLeaves(seed: UInt64) async throws {
        var lines = HistoryGenerator(seed: seed, campaigns: 3, contactsPerCampaign: 25).lines()
        lines.insert(
            #"{"type":"contact.status","campaign":"nope","contact":"x","status":"sent","at":"2026-11-20T08:02:00Z"}"#,
            at: lines.count / 2)
        var reusing = ImportOptions(skipInvalid: true)
        reusing.batchSize = 7
        var judging = reusing
        judging.reusesVerdicts = false
        let a = try makeLedger()
        let b = try makeLedger()
        for round in 1...2 {
            let sa = try a.importLines(jsonl(lines), options: reusing)
            let sb = try b.importLines(jsonl(lines), options: judging)
            #expect(sa.appended == sb.appended, "round \(round)")
            #expect(sa.duplicates == sb.duplicates, "round \(round)")
            #expect(sa.rejected.map(\.line) == sb.rejected.map(\.line), "round \(round)")
            #expect(sa.rejected.count == 1)
            #expect(sa.appended + sa.duplicates == lines.count - 1)
            if round == 1 { #expect(sa.appended > 0) } else { #expect(sa.appended == 0) }
        }
        #expect(try exportLines(a).map(withoutAssigned) == exportLines(b).map(withoutAssigned))
        #expect(try registry(a) == registry(b))
        #expect(try registry(a).count > 3, "the registry holds the campaigns and their contacts")
        #expect(try redeliveries(a).map(\.id) == redeliveries(b).map(\.id))
        #expect(try redeliveries(a).map(\.repeats) == redeliveries(b).map(\.repeats))
        #expect(try a.campaignListJSON() == b.campaignListJSON())
        #expect(try a.metricsJSON() == b.metricsJSON())
        #expect(try a.verify().isOK)
        // What the registry decides next: an attempt resolved from the highest one, a contact
        // added twice refused.
        let first = try #require(try exportLines(a).first { $0.contains(#""type":"contact.added""#) })
        let added = try event(first)
        let status = try event(
            #"{"type":"contact.status","campaign":"\#(added.campaign)","contact":"\#(added.contact!)","status":"retry_scheduled","at":"2026-12-01T08:00:00Z"}"#)
        var again = added
        again.id = "added-again"
        for ledger in [a, b] {
            await #expect(throws: LedgerError.self) { try await ledger.append([again]) }
        }
        _ = try await a.append([Ledger.withID(status)])
        _ = try await b.append([Ledger.withID(status)])
        let last = { (l: Ledger) in try exportLines(l).last.map(withoutAssigned)?
            .replacingOccurrences(of: #""id":"[^"]*""#, with: "", options: .regularExpression) }
        #expect(try last(a) == last(b))
        #expect(try last(a)?.contains(#""attempt":"#) == true)
    }

    /// A line repeating an id of an earlier line of the same file is compared with that line as
    /// judged (the import keeps the lines; the validator asks for them back): the same content —
    /// without an attempt, it matches the attempt resolved for the first — is a duplicate, other
    /// content is refused.
    @Test func anIDRepeatedInTheFileIsComparedWithItsFirstLine() throws {
        let sent = #"{"id":"r1","type":"contact.status","campaign":"spring","contact":"c1","status":"retry_scheduled","at":"2026-11-20T09:00:00Z"}"#
        let ledger = try makeLedger()
        let summary = try ledger.importLines(jsonl(campaignStart + [sent, sent]))
        #expect(summary.appended == campaignStart.count + 1)
        #expect(summary.duplicates == 1)
        let last = try #require(try exportLines(ledger).last)
        #expect(last.contains(#""attempt":1"#), "\(last)")
        let other = try makeLedger()
        let changed = sent.replacingOccurrences(of: "09:00:00Z", with: "09:00:05Z")
        let refused = try other.importLines(jsonl(campaignStart + [sent, changed]))
        #expect(refused.rejected.map(\.line) == [campaignStart.count + 2])
        #expect(refused.rejected.first?.message.contains("id reused") == true, "\(refused.rejected)")
        #expect(try other.head().position == 0)
    }

    /// A dry run counts what the import would append and what repeats the log.
    @Test func aDryRunCountsWhatAnImportAppends() throws {
        let lines = HistoryGenerator(seed: 9, campaigns: 2, contactsPerCampaign: 20).lines()
        let ledger = try makeLedger()
        try ledger.importLines(jsonl(Array(lines.prefix(lines.count / 2))))
        let dry = try ledger.importLines(jsonl(lines), options: ImportOptions(dryRun: true))
        let head = try ledger.head().position
        let real = try ledger.importLines(jsonl(lines))
        #expect(dry.appended == real.appended)
        #expect(dry.duplicates == real.duplicates)
        #expect(dry.duplicates >= lines.count / 2, "the first half is in the log already")
        #expect(try ledger.head().position == head + UInt64(real.appended))
    }

    /// Another writer appends between the two passes, and makes a line invalid: the batch is
    /// judged again in its transaction, and the import stops at that line with nothing of it
    /// appended (verdicts taken blindly would have appended a contact to a finished campaign).
    @Test func aWriterBetweenThePassesMakesTheImportJudgeAgain() throws {
        let ledger = try makeLedger()
        try ledger.importLines(jsonl(campaignStart))
        let lines = [
            #"{"id":"i1","type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234999","at":"2026-11-20T09:00:00Z"}"#,
            #"{"id":"i2","type":"contact.added","campaign":"spring","contact":"c4","address":"+420601234998","at":"2026-11-20T09:00:01Z"}"#,
        ]
        let finished = try event(#"{"id":"fin","type":"campaign.finished","campaign":"spring","at":"2026-11-20T08:30:00Z"}"#)
        var wrote: Result<[AppendOutcome], LedgerError>?
        let summary = try ledger.importLines(jsonl(lines)) { p in
            if p.phase == .validating && p.done == p.total && wrote == nil {
                wrote = try? ledger.appendBatch([AppendRequest(events: [finished])])[0]
            }
        }
        let outcome = try #require(wrote, "the progress of the first pass was reported")
        #expect(throws: Never.self) { try outcome.get() }
        #expect(summary.stoppedAt?.line == 1)
        #expect(summary.stoppedAt?.field == "type")
        #expect(summary.appended == 0)
        #expect(try ledger.head().position == UInt64(campaignStart.count) + 1)
    }

    /// Another writer appends between two batches an event the file holds further on: that
    /// batch is judged again (the line becomes a duplicate of the other writer's event), and so
    /// is every later one, although the head then matches what the first pass expected: a
    /// re-delivery further on repeats the event where it really is, not where the first pass put it.
    @Test func afterAnOutcomeTheVerdictsDidNotForeseeEveryBatchIsJudgedAgain() throws {
        let ledger = try makeLedger()
        try ledger.importLines(jsonl(campaignStart))
        let h = UInt64(campaignStart.count)
        let sent3 = #"{"id":"i3","type":"contact.status","campaign":"spring","contact":"c3","status":"sent","at":"2026-11-20T09:01:00Z","providerRef":"wamid.3"}"#
        let sent4 = #"{"id":"i4","type":"contact.status","campaign":"spring","contact":"c4","status":"sent","at":"2026-11-20T09:01:01Z","providerRef":"wamid.4"}"#
        let lines = [
            #"{"id":"i1","type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234999","at":"2026-11-20T09:00:00Z"}"#,
            #"{"id":"i2","type":"contact.added","campaign":"spring","contact":"c4","address":"+420601234998","at":"2026-11-20T09:00:01Z"}"#,
            sent3, sent4,
            sent3,  // a re-delivery
            #"{"id":"i6","type":"contact.status","campaign":"spring","contact":"c3","status":"delivered","at":"2026-11-20T09:02:00Z"}"#,
        ]
        var options = ImportOptions()
        options.batchSize = 2
        var wrote: Result<[AppendOutcome], LedgerError>?
        let summary = try ledger.importLines(jsonl(lines), options: options) { p in
            if p.phase == .appending && p.done == 2 && wrote == nil {
                wrote = try? ledger.appendBatch([AppendRequest(events: [try! event(sent4)])])[0]
            }
        }
        #expect(try #require(wrote).get() == [.appended(position: h + 3, id: "i4")])
        #expect(summary.stoppedAt == nil)
        #expect(summary.appended == 4)  // i1, i2, i3, i6
        #expect(summary.duplicates == 2)  // i4 (the other writer's), i3 again
        #expect(try ledger.head().position == h + 5)
        let repeats = try redeliveries(ledger)
        #expect(repeats.map(\.id) == ["i4", "i3"])
        #expect(repeats.map(\.repeats) == [h + 3, h + 4], "i3 is at \(h + 4); the first pass had put it at \(h + 3)")
        #expect(try ledger.verify().isOK)
    }
}
