import Foundation
import LMDB
import Testing
@testable import CampaignLedger

@Suite(.timeLimit(.minutes(10))) struct AppendTests {
    @Test func appendAssignsGapFreePositionsAndReflectsInQueries() throws {
        let ledger = try makeLedger()
        let outcomes = try ledger.appendAndWait(campaignStart.map(event))
        #expect(outcomes.map(\.position) == [1, 2, 3, 4])
        #expect(try ledger.head().position == 4)
        let status = try ledger.appendAndWait([event(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","at":"2026-11-20T08:02:00Z"}"#)])
        #expect(status.map(\.position) == [5])
        // Read-your-writes: the projection reflects the append as soon as it returns.
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .delivered)
        #expect(try ledger.campaign("spring")?.metrics.reached == 1)
    }

    @Test func aBatchIsAtomic() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        let batch = try [
            event(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z"}"#),
            event(#"{"type":"contact.status","campaign":"spring","contact":"c2","status":"sent","at":"2026-11-20T08:02:00Z"}"#),
            event(#"{"type":"contact.status","campaign":"spring","contact":"nobody","status":"sent","at":"2026-11-20T08:02:00Z"}"#),
        ]
        #expect {
            try ledger.appendAndWait(batch)
        } throws: { error in
            guard case LedgerError.invalidInput(let e, let index) = error else { return false }
            return index == 3 && e.field == "contact"
        }
        #expect(try ledger.head().position == 4)
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .initial)
    }

    @Test func duplicatesAreReportedNotReappended() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        let line = #"{"id":"wh-1","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z"}"#
        let first = try ledger.appendAndWait([event(line)])
        let again = try ledger.appendAndWait([event(line)])
        #expect(first == [.appended(position: 5, id: "wh-1")])
        #expect(again == [.duplicate(position: 5, id: "wh-1")])
        #expect(try ledger.head().position == 5)
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.reports == 2)
        // A re-delivered campaign.started is a duplicate, not "started twice".
        #expect(try ledger.appendAndWait([event(campaignStart[3])]) == [.duplicate(position: 4, id: "e4")])
        // The same id with other content is an error.
        #expect(throws: LedgerError.self) {
            try ledger.appendAndWait([event(#"{"id":"wh-1","type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T08:02:00Z"}"#)])
        }
        // Skipped re-deliveries are kept in the side record, after the position they arrived after.
        let side = try ledger.store.environment.read { txn in try ledger.store.redeliveries(txn) }
        #expect(side.map(\.id) == ["wh-1", "e4"])
        #expect(side.map(\.repeats) == [5, 4])
        #expect(side.map(\.after) == [5, 5])
    }

    @Test func aRedeliveryWithoutAttemptMatchesTheResolvedOne() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        let line = #"{"id":"r1","type":"contact.status","campaign":"spring","contact":"c1","status":"retry_scheduled","at":"2026-11-20T08:02:00Z"}"#
        #expect(try ledger.appendAndWait([event(line)]).map(\.position) == [5])
        // No status report before it: "highest attempt so far" is 0, so the retry is attempt 1.
        #expect(try ledger.event(at: 5)?.event.attempt == 1)
        #expect(try ledger.appendAndWait([event(line)]) == [.duplicate(position: 5, id: "r1")])
    }

    @Test func expectedStreamVersionGuardsConcurrentWriters() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        let e = try event(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z"}"#)
        try ledger.appendAndWait([e], expecting: [StreamExpectation(campaign: "spring", contact: "c1", version: 2)])
        #expect(throws: LedgerError.self) {
            try ledger.appendAndWait([e], expecting: [StreamExpectation(campaign: "spring", contact: "c1", version: 2)])
        }
        #expect(try ledger.head().position == 5)
    }

    @Test func concurrentAppendersGetGapFreeUniquePositions() async throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait([event(campaignStart[0])])
        let tasks = 32
        let perTask = 15
        let positions = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var mine: [UInt64] = []
                    for i in 0..<perTask {
                        let e = try event(#"{"type":"contact.added","campaign":"spring","contact":"t\#(t)-\#(i)","address":"+420601234567","at":"2026-11-20T08:00:01Z"}"#)
                        mine += try await ledger.append([e]).map(\.position)
                    }
                    return mine
                }
            }
            var all: [UInt64] = []
            for try await p in group { all += p }
            return all
        }
        #expect(positions.sorted() == Array(2...UInt64(1 + tasks * perTask)))
        #expect(try ledger.head().position == UInt64(1 + tasks * perTask))
        #expect(try ledger.campaign("spring")?.metrics.contacts == tasks * perTask)
        #expect(try ledger.verify().isOK)
    }

    @Test func everyValidationRuleRejectsAndAppendsNothing() throws {
        // Each case: a line that breaks one rule of domain.md §5 after the valid start, and the
        // field the error names.
        let cases: [(String, String)] = [
            (#"{"type":"campaign.created","campaign":"spring","channel":"sms","at":"2026-11-20T09:00:00Z"}"#, "campaign"),
            (#"{"type":"campaign.started","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#, "type"),
            (#"{"type":"campaign.resumed","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#, "type"),
            (#"{"type":"contact.added","campaign":"spring","contact":"c1","address":"+420601234567","at":"2026-11-20T09:00:00Z"}"#, "contact"),
            (#"{"type":"contact.removed","campaign":"spring","contact":"c1","at":"2026-11-20T09:00:00Z"}"#, "type"),
            (#"{"type":"contact.status","campaign":"spring","contact":"zz","status":"sent","at":"2026-11-20T09:00:00Z"}"#, "contact"),
            (#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"calling","at":"2026-11-20T09:00:00Z"}"#, "status"),
            (#"{"type":"contact.status","campaign":"nope","contact":"c1","status":"sent","at":"2026-11-20T09:00:00Z"}"#, "campaign"),
            (#"{"type":"campaign.paused","campaign":"nope","at":"2026-11-20T09:00:00Z"}"#, "campaign"),
            (#"{"id":"e2","type":"contact.added","campaign":"spring","contact":"c9","address":"+420601234567","at":"2026-11-20T08:00:01Z"}"#, "id"),
        ]
        for (line, field) in cases {
            let ledger = try makeLedger()
            let data = jsonl(campaignStart + [line])
            let summary = try ledger.importLines(data)
            #expect(summary.rejected.map(\.line) == [5], "\(line)")
            #expect(summary.rejected.first?.field == field, "\(line): \(summary.rejected)")
            #expect(summary.appended == 0)
            #expect(try ledger.head().position == 0, "nothing of a rejected import is appended")
        }
    }

    @Test func lifecycleRulesAfterTheEnd() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        try ledger.appendAndWait([event(#"{"type":"campaign.finished","campaign":"spring","at":"2026-11-21T08:00:00Z"}"#)])
        for line in [
            #"{"type":"campaign.canceled","campaign":"spring","at":"2026-11-21T09:00:00Z"}"#,
            #"{"type":"campaign.finished","campaign":"spring","at":"2026-11-21T09:00:00Z"}"#,
            #"{"type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234567","at":"2026-11-21T09:00:00Z"}"#,
            #"{"type":"contact.removed","campaign":"spring","contact":"c1","at":"2026-11-21T09:00:00Z"}"#,
        ] {
            #expect(throws: LedgerError.self, "\(line)") { try ledger.appendAndWait([event(line)]) }
        }
        // A late receipt after the end is a fact: accepted.
        try ledger.appendAndWait([event(#"{"type":"contact.status","campaign":"spring","contact":"c2","status":"delivered","at":"2026-11-21T10:00:00Z"}"#)])
        #expect(try ledger.campaign("spring")?.status.status == .completed)
    }
}
