import Foundation
import Testing
import CampaignLedger

/// The dispute fixture, appended one event per transaction (2 ms apart, so every position has
/// its own `recordedAt`) with re-deliveries in between. Positions, in order:
/// 1 created · 2 added c1 · 3 added c2 · 4 started · 5 c1 sent · 6 c1 read · (re-delivery of 5)
/// · 7 c1 sent again with an earlier `at` · 8 c2 sent · 9 finished · 10 c2 delivery_failed ·
/// 11 c2 delivered with an earlier `at` · (re-delivery of 8) · (re-delivery of 5).
private enum Dispute {
    static let created = #"{"id":"e1","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z","name":"Spring"}"#
    static let addC1 = #"{"id":"e2","type":"contact.added","campaign":"spring","contact":"c1","address":"+420 601 234 567","at":"2026-11-20T08:00:01Z"}"#
    static let addC2 = #"{"id":"e3","type":"contact.added","campaign":"spring","contact":"c2","address":"(415) 286-0129","at":"2026-11-20T08:00:02Z"}"#
    static let started = #"{"id":"e4","type":"campaign.started","campaign":"spring","at":"2026-11-20T08:01:00Z"}"#
    static let c1Sent = #"{"id":"s1","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","attempt":1,"at":"2026-11-20T08:01:01Z","providerRef":"wamid.A"}"#
    static let c1Read = #"{"id":"s2","type":"contact.status","campaign":"spring","contact":"c1","status":"read","attempt":1,"at":"2026-11-20T08:02:00Z"}"#
    static let c1LateSent = #"{"id":"s3","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","attempt":1,"at":"2026-11-20T08:01:30Z"}"#
    static let c2Sent = #"{"id":"s4","type":"contact.status","campaign":"spring","contact":"c2","status":"sent","attempt":1,"at":"2026-11-20T08:01:03Z"}"#
    static let finished = #"{"id":"e5","type":"campaign.finished","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#
    static let c2Failed = #"{"id":"s5","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","attempt":1,"at":"2026-11-20T08:01:05Z","code":"131026","reason":"Message undeliverable"}"#
    static let c2Delivered = #"{"id":"s6","type":"contact.status","campaign":"spring","contact":"c2","status":"delivered","attempt":1,"at":"2026-11-20T08:01:04Z"}"#

    /// Arrival order; the repeated lines are the re-deliveries.
    static let arrivals = [
        created, addC1, addC2, started, c1Sent, c1Read, c1Sent, c1LateSent, c2Sent, finished, c2Failed,
        c2Delivered, c2Sent, c1Sent,
    ]

    static func ledger() throws -> Ledger {
        let ledger = try makeLedger()
        for line in arrivals {
            try ledger.appendAndWait([try event(line)])
            Thread.sleep(forTimeInterval: 0.002)
        }
        return ledger
    }
}

/// A row as the tests compare it: position (nil for a duplicate), type or status, states,
/// effect and marks.
private struct Row: Equatable, CustomStringConvertible {
    var position: UInt64?
    var what: String
    var before: String?
    var after: String?
    var effect: String
    var marks: [String] = []

    init(_ position: UInt64?, _ what: String, _ before: String?, _ after: String?, _ effect: String, _ marks: [String] = []) {
        (self.position, self.what, self.before, self.after, self.effect, self.marks) = (position, what, before, after, effect, marks)
    }

    init(_ e: HistoryEntry) {
        self.init(
            e.position, e.recorded.event.status?.rawValue ?? e.recorded.event.type.rawValue, e.stateBefore,
            e.stateAfter, e.effect.rawValue, e.marks.map(\.rawValue))
    }

    var description: String {
        "\(position.map(String.init) ?? "dup") \(what) \(before ?? "null")→\(after ?? "null") \(effect) \(marks)"
    }
}

@Suite("Audit history")
struct AuditHistoryTests {
    @Test("a contact's history: duplicates in place, a late sent after read, failure then delivery, after the end")
    func contactHistories() throws {
        let ledger = try Dispute.ledger()
        #expect(try ledger.history(campaign: "spring", contact: "c1").map(Row.init) == [
            Row(2, "contact.added", nil, "initial", "applied"),
            Row(5, "sent", "initial", "sent", "applied"),
            Row(6, "read", "sent", "read", "applied"),
            Row(nil, "sent", "read", "read", "duplicate"),
            Row(7, "sent", "read", "read", "no_change", ["late"]),
            Row(nil, "sent", "read", "read", "duplicate", ["after_end"]),
        ])
        #expect(try ledger.history(campaign: "spring", contact: "c2").map(Row.init) == [
            Row(3, "contact.added", nil, "initial", "applied"),
            Row(8, "sent", "initial", "sent", "applied"),
            Row(10, "delivery_failed", "sent", "delivery_failed", "applied", ["after_end"]),
            Row(11, "delivered", "delivery_failed", "delivered", "applied", ["late", "after_end"]),
            Row(nil, "sent", "delivered", "delivered", "duplicate", ["after_end"]),
        ])
    }

    @Test("a campaign's history: campaign events carry the campaign status, re-deliveries by (after, sequence)")
    func campaignHistory() throws {
        let ledger = try Dispute.ledger()
        #expect(try ledger.history(campaign: "spring").map(Row.init) == [
            Row(1, "campaign.created", nil, "queued", "applied"),
            Row(2, "contact.added", nil, "initial", "applied"),
            Row(3, "contact.added", nil, "initial", "applied"),
            Row(4, "campaign.started", "queued", "sending", "applied"),
            Row(5, "sent", "initial", "sent", "applied"),
            Row(6, "read", "sent", "read", "applied"),
            Row(nil, "sent", "read", "read", "duplicate"),
            Row(7, "sent", "read", "read", "no_change", ["late"]),
            Row(8, "sent", "initial", "sent", "applied"),
            Row(9, "campaign.finished", "sending", "completed", "applied"),
            Row(10, "delivery_failed", "sent", "delivery_failed", "applied", ["after_end"]),
            Row(11, "delivered", "delivery_failed", "delivered", "applied", ["late", "after_end"]),
            Row(nil, "sent", "delivered", "delivered", "duplicate", ["after_end"]),
            Row(nil, "sent", "read", "read", "duplicate", ["after_end"]),
        ])
        let entries = try ledger.history(campaign: "spring")
        #expect(entries[6].recorded.event.contact == "c1" && entries[6].recorded.position == 5)
        #expect(entries[12].recorded.event.contact == "c2" && entries[12].recorded.position == 8)
    }

    @Test("campaign.finished on a campaign already completed by settlement is no_change")
    func finishedAfterSettlement() throws {
        let ledger = try makeLedger()
        for line in [Dispute.created, Dispute.addC1, Dispute.started, Dispute.c1Read, Dispute.finished] {
            try ledger.appendAndWait([try event(line)])
        }
        #expect(try ledger.history(campaign: "spring").map(Row.init) == [
            Row(1, "campaign.created", nil, "queued", "applied"),
            Row(2, "contact.added", nil, "initial", "applied"),
            Row(3, "campaign.started", "queued", "sending", "applied"),
            Row(4, "read", "initial", "read", "applied"),
            Row(5, "campaign.finished", "completed", "completed", "no_change"),
        ])
    }

    @Test("an entry is the export line plus stateBefore, stateAfter, effect and marks")
    func entryJSON() throws {
        let ledger = try Dispute.ledger()
        let entries = try ledger.history(campaign: "spring")
        for entry in entries where entry.position != nil {
            guard case .object(let members) = entry.json else { Issue.record("not an object"); continue }
            let exported = JSONOutput.object(Array(members.prefix(members.count - 4))).serialized()
            #expect(exported == ExportLine.exportJSON(entry.recorded))
            #expect(members.suffix(4).map(\.0) == ["stateBefore", "stateAfter", "effect", "marks"])
        }
        let created = entries[0].json
        #expect(created["stateBefore"] == .null)
        #expect(created["stateAfter"] == .string("queued"))
        #expect(created["effect"] == .string("applied"))

        let duplicate = entries[6].json
        #expect(duplicate["position"] == .null)
        #expect(duplicate["hash"] == .null)
        #expect(duplicate["repeats"] == .int(5))
        #expect(duplicate["id"] == .string("s1"))
        #expect(duplicate["status"] == .string("sent"))
        #expect(duplicate["attempt"] == .int(1))
        #expect(duplicate["providerRef"] == .string("wamid.A"))
        #expect(duplicate["effect"] == .string("duplicate"))
        // Received after position 6 was recorded, before position 7.
        let received = try RFC3339.parseNanos(duplicate["recordedAt"]?.stringValue ?? "")
        let six = try #require(try ledger.event(at: 6)).recordedAtMicros * 1000
        let seven = try #require(try ledger.event(at: 7)).recordedAtMicros * 1000
        #expect(six <= received && received <= seven)
    }

    @Test("unknown campaign or contact is not found")
    func notFound() throws {
        let ledger = try Dispute.ledger()
        #expect(throws: LedgerError.self) { try ledger.history(campaign: "autumn") }
        #expect(throws: LedgerError.self) { try ledger.history(campaign: "spring", contact: "c9") }
        do {
            _ = try ledger.history(campaign: "spring", contact: "c9")
        } catch let error as LedgerError {
            #expect(error.exitCode == 2)
        }
    }

    @Test("a contact.removed is listed with state removed")
    func removed() throws {
        let ledger = try makeLedger()
        for line in [Dispute.created, Dispute.addC1,
                     #"{"id":"r1","type":"contact.removed","campaign":"spring","contact":"c1","at":"2026-11-20T08:00:30Z"}"#] {
            try ledger.appendAndWait([try event(line)])
        }
        #expect(try ledger.history(campaign: "spring", contact: "c1").map(Row.init) == [
            Row(2, "contact.added", nil, "initial", "applied"),
            Row(3, "contact.removed", "initial", "removed", "applied"),
        ])
    }
}

@Suite("Audit time filters")
struct AuditTimeFilterTests {
    private func nanos(_ text: String) throws -> Int64 { try RFC3339.parseNanos(text) }

    @Test("--as-of leaves out what was recorded after the instant")
    func asOf() throws {
        let ledger = try Dispute.ledger()
        let finishedRecorded = try #require(try ledger.event(at: 9)).recordedAtMicros * 1000
        let filter = TimeFilter.asOf(nanos: finishedRecorded)
        let c2 = try ledger.contactJSON(campaign: "spring", contact: "c2", filter: filter)
        #expect(c2["state"] == .string("sent"))
        #expect(c2["reports"] == .int(2))
        let campaign = try ledger.campaignJSON("spring", filter: filter)
        #expect(campaign["status"] == .string("completed"))
        #expect(campaign["endedBy"] == .string("finished"))
        #expect(campaign["metrics"]?["reached"] == .int(1))
        // Now: the failure and then the delivery receipt recorded after the end count.
        let now = try ledger.contactJSON(campaign: "spring", contact: "c2")
        #expect(now["state"] == .string("delivered"))
        #expect(now["reports"] == .int(4))
        #expect(try ledger.campaignJSON("spring")["metrics"]?["reached"] == .int(2))
        // Before the campaign was recorded, it did not exist.
        let first = try #require(try ledger.event(at: 1)).recordedAtMicros * 1000
        #expect(throws: LedgerError.self) { try ledger.campaignJSON("spring", filter: .asOf(nanos: first - 1)) }
    }

    @Test("--occurred-before leaves out what happened at or after the instant, whenever recorded")
    func occurredBefore() throws {
        let ledger = try Dispute.ledger()
        // The delivered receipt (at 08:01:04, recorded last) happened before 08:01:04.5; the
        // failure (08:01:05) did not.
        let c2 = try ledger.contactJSON(
            campaign: "spring", contact: "c2", filter: .occurredBefore(nanos: try nanos("2026-11-20T08:01:04.5Z")))
        #expect(c2["state"] == .string("delivered"))
        #expect(c2["reports"] == .int(3))
        #expect(c2["updatedAt"] == .string("2026-11-20T08:01:04Z"))
        // Strictly before: a report whose `at` is the instant itself is left out.
        let exact = try ledger.contactJSON(
            campaign: "spring", contact: "c2", filter: .occurredBefore(nanos: try nanos("2026-11-20T08:01:04Z")))
        #expect(exact["state"] == .string("sent"))
        // The campaign had not finished by then: still sending.
        let campaign = try ledger.campaignJSON("spring", filter: .occurredBefore(nanos: try nanos("2026-11-20T08:01:04.5Z")))
        #expect(campaign["status"] == .string("sending"))
        #expect(campaign["endedAt"] == .null)
        #expect(throws: LedgerError.self) {
            try ledger.campaignJSON("spring", filter: .occurredBefore(nanos: try nanos("2026-11-20T08:00:00Z")))
        }
    }
}
