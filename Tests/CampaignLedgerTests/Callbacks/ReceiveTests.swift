import Foundation
import Testing
@testable import CampaignLedger

/// The store side of provider callbacks (http.md §3): tying a status to its contact, appending
/// it, parking what cannot be tied yet and applying it when an event records its message id.
@Suite(.timeLimit(.minutes(5))) struct ReceiveTests {
    /// A status as an adapter makes it; the event id stands in for one derived from a dedupe key.
    func status(
        _ message: String?, _ state: ContactState?, _ providerStatus: String, correlation: Correlation? = nil,
        at: String? = "2026-11-20T09:00:00Z", provider: CallbackProvider = .meta, problem: String? = nil,
        code: String? = nil
    ) -> ProviderStatus {
        ProviderStatus(
            provider: provider, messageID: message, correlation: correlation, status: state,
            providerStatus: providerStatus, code: code, at: at,
            eventID: "cb-\(provider.rawValue)-\(message ?? "none")-\(providerStatus)", problem: problem,
            bodySHA256: String(repeating: "ab", count: 32))
    }

    func sent(_ contact: String, ref: String, at: String = "2026-11-20T08:05:00Z") throws -> Event {
        try event(#"{"type":"contact.status","campaign":"spring","contact":"\#(contact)","status":"sent","providerRef":"\#(ref)","at":"\#(at)"}"#)
    }

    func startedLedger() throws -> Ledger {
        let ledger = try makeLedger()
        try ledger.appendAndWait(campaignStart.map(event))
        return ledger
    }

    @Test func correlationDataNamesTheContact() throws {
        let ledger = try startedLedger()
        let outcomes = try ledger.receiveAndWait([
            status("wamid.A", .delivered, "delivered", correlation: Correlation(campaign: "spring", contact: "c1", attempt: 1))
        ])
        #expect(outcomes == [.appended(position: 5, id: "cb-meta-wamid.A-delivered")])
        let recorded = try #require(try ledger.event(at: 5)).event
        #expect(recorded.type == .contactStatus)
        #expect(recorded.contact == "c1")
        #expect(recorded.status == .delivered)
        #expect(recorded.providerRef == "wamid.A")
        #expect(recorded.actor == "provider:meta")
        #expect(recorded.at == "2026-11-20T09:00:00Z")
        let meta = try #require(recorded.meta)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: String])
        #expect(object == ["provider": "meta", "providerStatus": "delivered", "bodySha256": String(repeating: "ab", count: 32)])
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .delivered)
    }

    @Test func theProviderRefIndexNamesTheContactTheSenderRecorded() throws {
        let ledger = try startedLedger()
        try ledger.appendAndWait([try sent("c2", ref: "wamid.B")])
        let outcomes = try ledger.receiveAndWait([status("wamid.B", .read, "read")])
        #expect(outcomes == [.appended(position: 6, id: "cb-meta-wamid.B-read")])
        #expect(try ledger.event(at: 6)?.event.contact == "c2")
        #expect(try ledger.event(at: 6)?.event.attempt == 1)
        #expect(try ledger.contact(campaign: "spring", contact: "c2")?.state == .read)
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .initial)
    }

    /// A message id no event could record (over 256 bytes, or with a control character) is
    /// neither looked up nor parked under its id; with or without correlation it is parked,
    /// the request goes on (found by hostile input: a 1 MiB id once crashed the parked key).
    @Test(arguments: [String(repeating: "w", count: 257), String(repeating: "w", count: 1 << 20), "wamid.\u{1}x"])
    func aMessageIDNoEventCouldRecordIsParked(_ id: String) throws {
        let ledger = try startedLedger()
        let correlated = Correlation(campaign: "spring", contact: "c1", attempt: 1)
        var lone = status(id, .delivered, "delivered")
        lone.eventID = "cb-meta-long-1"
        var tied = status(id, .read, "read", correlation: correlated)
        tied.eventID = "cb-meta-long-2"
        let outcomes = try ledger.receiveAndWait([lone, tied, status("wamid.ok", .sent, "sent", correlation: correlated)])
        #expect(outcomes.count == 3)
        guard case .parked = outcomes[0], case .parked = outcomes[1], case .appended = outcomes[2] else {
            Issue.record("expected parked, parked, appended: \(outcomes)")
            return
        }
        #expect(lone.recordableRef == nil)
        #expect(try ledger.parkedCallbacks().count == 2)
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .sent)
    }

    @Test func aRetriedWebhookIsADuplicateNotASecondReport() throws {
        let ledger = try startedLedger()
        try ledger.appendAndWait([try sent("c1", ref: "wamid.C")])
        // A retry without the provider's time gets another receive time: still the same status.
        let first = try ledger.receiveAndWait([status("wamid.C", .delivered, "delivered", at: nil)])
        usleep(2_000)
        let again = try ledger.receiveAndWait([status("wamid.C", .delivered, "delivered", at: nil)])
        #expect(first == [.appended(position: 6, id: "cb-meta-wamid.C-delivered")])
        #expect(again == [.duplicate(position: 6, id: "cb-meta-wamid.C-delivered")])
        #expect(try ledger.head().position == 6)
        // Added, sent, delivered: the retry is not a report.
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.reports == 3)
        let history = try ledger.history(campaign: "spring", contact: "c1")
        #expect(history.map(\.effect) == [.applied, .applied, .applied, .duplicate])
    }

    @Test func outOfOrderCallbacksGiveTheStateOfTheJoin() throws {
        let ledger = try startedLedger()
        try ledger.appendAndWait([try sent("c1", ref: "wamid.D", at: "2026-11-20T09:00:00Z")])
        let outcomes = try ledger.receiveAndWait([
            status("wamid.D", .read, "read", at: "2026-11-20T09:03:00Z"),
            status("wamid.D", .delivered, "delivered", at: "2026-11-20T09:02:00Z"),
            status("wamid.D", .sent, "sent", at: "2026-11-20T09:01:00Z"),
        ])
        #expect(outcomes.map(\.position) == [6, 7, 8])
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .read)
        let marks = try ledger.history(campaign: "spring", contact: "c1").suffix(2).map(\.marks)
        #expect(marks == [[.late], [.late]])
    }

    @Test func aReceiptBeforeTheSendersEventIsParkedThenAppliedAfterIt() throws {
        let path = newStorePath()
        do {
            let ledger = try Ledger(.init(path: path))
            try ledger.appendAndWait(campaignStart.map(event))
            let outcomes = try ledger.receiveAndWait([status("wamid.E", .delivered, "delivered", at: "2026-11-20T08:06:00Z")])
            guard case .parked(let id, let reason) = outcomes.first else {
                Issue.record("expected parked, got \(outcomes)")
                return
            }
            #expect(id == "cb-meta-wamid.E-delivered")
            #expect(reason.contains("wamid.E"))
            #expect(try ledger.head().position == 4)
            // A retry of the parked callback is parked again, once.
            _ = try ledger.receiveAndWait([status("wamid.E", .delivered, "delivered", at: "2026-11-20T08:06:00Z")])
            #expect(try ledger.parkedCallbacks().map(\.status.eventID) == ["cb-meta-wamid.E-delivered"])
        }
        // Parked callbacks live in the store: another process (here another Ledger) sees them.
        let reopened = try Ledger(.init(path: path))
        let parked = try reopened.parkedCallbacks()
        #expect(parked.count == 1)
        #expect(parked.first?.status.messageID == "wamid.E")
        #expect(parked.first?.at == "2026-11-20T08:06:00Z")
        guard case .array(let entries) = try reopened.parkedCallbacksJSON(), let entry = entries.first else {
            Issue.record("parkedCallbacksJSON is not an array of one entry")
            return
        }
        #expect(entry["messageId"]?.stringValue == "wamid.E")
        #expect(entry["parkedBecause"]?.stringValue?.isEmpty == false)

        // The sender records the message id: the parked callback follows it in the same commit.
        let appended = try reopened.appendAndWait([try sent("c2", ref: "wamid.E")])
        #expect(appended == [.appended(position: 5, id: appended[0].id)])
        #expect(try reopened.head().position == 6)
        #expect(try reopened.parkedCallbacks().isEmpty)
        #expect(try reopened.contact(campaign: "spring", contact: "c2")?.state == .delivered)
        let history = try reopened.history(campaign: "spring", contact: "c2")
        let last = try #require(history.last)
        #expect(last.recorded.event.id == "cb-meta-wamid.E-delivered")
        #expect(last.marks.contains(.parked))
        #expect(!history.dropLast().contains { $0.marks.contains(.parked) })
        let meta = try #require(last.recorded.event.meta)
        #expect(meta.contains("\"parkedAt\""))
        // A later retry of it is a duplicate now.
        #expect(try reopened.receiveAndWait([status("wamid.E", .delivered, "delivered", at: "2026-11-20T08:06:00Z")])
            == [.duplicate(position: 6, id: "cb-meta-wamid.E-delivered")])
    }

    @Test func aCallbackWithCorrelationDataAppliesTheOnesParkedForItsMessage() throws {
        let ledger = try startedLedger()
        let read = try ledger.receiveAndWait([status("wamid.F", .read, "read")])
        #expect(read.map(\.isParked) == [true])
        let delivered = try ledger.receiveAndWait([
            status("wamid.F", .delivered, "delivered", correlation: Correlation(campaign: "spring", contact: "c1", attempt: 1))
        ])
        #expect(delivered == [.appended(position: 5, id: "cb-meta-wamid.F-delivered")])
        #expect(try ledger.event(at: 6)?.event.id == "cb-meta-wamid.F-read")
        #expect(try ledger.contact(campaign: "spring", contact: "c1")?.state == .read)
        #expect(try ledger.parkedCallbacks().isEmpty)
    }

    @Test func anUnmappableStatusIsParkedAndTheOthersAreAppended() throws {
        let ledger = try startedLedger()
        try ledger.appendAndWait([try sent("c1", ref: "wamid.G")])
        let outcomes = try ledger.receiveAndWait([
            status("wamid.G", nil, "warning", problem: "unknown meta status 'warning'"),
            status("wamid.G", .delivered, "delivered"),
            status(nil, nil, "delivered", problem: "no message id"),
        ])
        #expect(outcomes[0] == .parked(id: "cb-meta-wamid.G-warning", reason: "unknown meta status 'warning'"))
        #expect(outcomes[1] == .appended(position: 6, id: "cb-meta-wamid.G-delivered"))
        #expect(outcomes[2] == .parked(id: "cb-meta-none-delivered", reason: "no message id"))
        let parked = try ledger.parkedCallbacks()
        #expect(Set(parked.map(\.status.eventID)) == ["cb-meta-wamid.G-warning", "cb-meta-none-delivered"])
        #expect(parked.first { $0.status.providerStatus == "warning" }?.status.problem == "unknown meta status 'warning'")
        // A later event recording the message id does not apply a status that cannot be mapped.
        try ledger.appendAndWait([try sent("c2", ref: "wamid.G2")])
        #expect(try ledger.parkedCallbacks().count == 2)
    }

    @Test func aStatusTheRulesRejectIsParkedWithTheRule() throws {
        let ledger = try startedLedger()
        let outcomes = try ledger.receiveAndWait([
            status("wamid.H", .delivered, "delivered", correlation: Correlation(campaign: "spring", contact: "nobody"))
        ])
        guard case .parked(_, let reason) = outcomes.first else {
            Issue.record("expected parked, got \(outcomes)")
            return
        }
        #expect(reason.hasPrefix("rejected: contact"))
        #expect(try ledger.head().position == 4)
    }

    @Test func droppingRemovesOnlyTheOlderParkedCallbacks() throws {
        let ledger = try startedLedger()
        _ = try ledger.receiveAndWait([status("wamid.I", .delivered, "delivered")])
        let between = Int64(Date().timeIntervalSince1970 * 1_000_000) + 1
        usleep(5_000)
        _ = try ledger.receiveAndWait([status("wamid.J", .delivered, "delivered")])
        #expect(try ledger.dropParkedCallbacks(receivedBefore: 0) == 0)
        #expect(try ledger.dropParkedCallbacks(receivedBefore: between) == 1)
        #expect(try ledger.parkedCallbacks().map(\.status.messageID) == ["wamid.J"])
    }

    @Test(arguments: [1, 3]) func theIndexIsFoldedAgainByARebuild(threads: Int) throws {
        let ledger = try startedLedger()
        try ledger.appendAndWait([try sent("c1", ref: "wamid.K"), try sent("c2", ref: "wamid.L")])
        // A later event naming the same message id for another contact does not move it.
        try ledger.appendAndWait([
            try event(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","providerRef":"wamid.L","at":"2026-11-20T08:06:00Z"}"#)
        ])
        let summary = try ledger.rebuild(threads: threads)
        #expect(summary.build == 2)
        // Only the new build answers and is maintained: the index it bulk-loaded ties the callback.
        try ledger.drop(build: 1)
        #expect(try ledger.receiveAndWait([status("wamid.L", .read, "read")]) == [.appended(position: 8, id: "cb-meta-wamid.L-read")])
        #expect(try ledger.event(at: 8)?.event.contact == "c2")
        #expect(try ledger.receiveAndWait([status("wamid.K", .read, "read")]) == [.appended(position: 9, id: "cb-meta-wamid.K-read")])
        #expect(try ledger.event(at: 9)?.event.contact == "c1")
    }

    @Test func concurrentCallbacksShareCommitsAndEachStatusLandsOnce() async throws {
        let ledger = try startedLedger()
        var sends: [Event] = []
        for i in 0..<40 {
            sends.append(try event(#"{"type":"contact.added","campaign":"spring","contact":"k\#(i)","address":"+4206010000\#(String(format: "%02d", i))","at":"2026-11-20T08:00:03Z"}"#))
        }
        try ledger.appendAndWait(sends)
        try ledger.appendAndWait((0..<40).map { try sent("k\($0)", ref: "wamid.k\($0)") })
        // Half the receipts come before the senders' events would have (here: all after), each
        // twice, from 80 concurrent callers.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for copy in 0..<2 {
                for i in 0..<40 {
                    group.addTask {
                        _ = copy
                        _ = try await ledger.receive([self.status("wamid.k\(i)", .delivered, "delivered")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = try ledger.events(from: 1, limit: 10_000).filter { $0.event.actor == "provider:meta" }
        #expect(events.count == 40)
        #expect(Set(events.map(\.event.id)).count == 40)
        for i in 0..<40 {
            #expect(try ledger.contact(campaign: "spring", contact: "k\(i)")?.state == .delivered)
        }
    }
}

extension CallbackOutcome {
    var position: UInt64? {
        switch self {
        case .appended(let p, _), .duplicate(let p, _): p
        case .parked: nil
        }
    }

    var isParked: Bool {
        if case .parked = self { return true }
        return false
    }
}
