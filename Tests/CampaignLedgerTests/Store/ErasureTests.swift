import Foundation
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

/// `Ledger.forget` (docs/erasure.md): the address leaves the stored record, the projections and
/// the parked callbacks; the hash chain, checkpoints, states and metrics stay as they were.
@Suite(.timeLimit(.minutes(5))) struct ErasureTests {
    let history = campaignStart + [
        #"{"id":"s1","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z","providerRef":"wamid.A"}"#,
        #"{"id":"s2","type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","at":"2026-11-20T08:03:00Z","providerRef":"wamid.A"}"#,
        #"{"id":"s3","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","at":"2026-11-20T08:04:00Z","code":"131026"}"#,
        #"{"id":"a3","type":"contact.added","campaign":"spring","contact":"c3","address":"12","at":"2026-11-20T08:05:00Z"}"#,
        #"{"id":"o1","type":"campaign.created","campaign":"autumn","channel":"sms","at":"2026-11-21T08:00:00Z"}"#,
        #"{"id":"o2","type":"contact.added","campaign":"autumn","contact":"k9","address":"+420601234567","at":"2026-11-21T08:00:01Z"}"#,
    ]

    func loaded() throws -> Ledger {
        let ledger = try makeLedger()
        let summary = try ledger.importLines(jsonl(history))
        try #require(summary.rejected.isEmpty && summary.appended == history.count, "the history imports whole")
        return ledger
    }

    func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// An answer without what names the log and the build that gave it (`position`, `build`,
    /// `projectionVersion`): those move with every append and rebuild.
    func content(_ answer: JSONOutput) -> String {
        func strip(_ j: JSONOutput) -> JSONOutput {
            switch j {
            case .object(let m): .object(m.filter { !["position", "build", "projectionVersion"].contains($0.0) }.map { ($0.0, strip($0.1)) })
            case .array(let a): .array(a.map(strip))
            default: j
            }
        }
        return strip(answer).serialized()
    }

    /// Everything a reader can ask about the contacts and the campaigns, as text.
    func answers(_ ledger: Ledger) throws -> [String] {
        var out: [String] = []
        for campaign in ["spring", "autumn"] {
            out.append(content(try ledger.campaignJSON(campaign)))
            out.append(content(try ledger.contactListJSON(campaign: campaign, state: nil, limit: 100, after: nil)))
        }
        out.append(content(try ledger.metricsJSON()))
        return out
    }

    @Test func theRecordLosesTheAddressAndTheChainStaysAsItWas() throws {
        let ledger = try loaded()
        let before = try exportLines(ledger)
        let checkpoint = try ledger.head()
        let otherBefore = content(try ledger.contactJSON(campaign: "spring", contact: "c2"))
        let metricsBefore = content(try ledger.metricsJSON(campaign: "spring"))

        let result = try ledger.forget(campaign: "spring", contact: "c1", reason: "GDPR request 7", actor: "admin:al")
        #expect(result.forgotten.map(\.contact) == ["c1"])
        #expect(result.forgotten.first?.addedPosition == 2)
        #expect(result.forgotten.first?.position == checkpoint.position + 1)

        // The stored record: no address, no salt; the digest and the hash as before.
        let added = try #require(try ledger.event(at: 2))
        #expect(added.event.address == nil && added.addressSalt == nil)
        #expect(added.event.erasedAddress != nil)
        let after = try exportLines(ledger)
        #expect(after.count == before.count + 1)
        let old = try object(before[1]), new = try object(after[1])
        #expect(old["address"] as? String == "+420 601 234 567")
        #expect(new["address"] == nil && new["addressSalt"] == nil)
        #expect(new["addressDigest"] as? String == old["addressDigest"] as? String)
        #expect(new["hash"] as? String == old["hash"] as? String)
        #expect(!after[1].contains("601 234 567") && !after[1].contains("601234567"), "the erased line holds the number: \(after[1])")
        for i in before.indices where i != 1 { #expect(after[i] == before[i], "line \(i + 1) changed") }

        // The chain: whole, and the checkpoint taken before the erasure still holds.
        #expect(try ledger.verify().isOK)
        #expect(try ledger.verify(checkpoint: (checkpoint.position, checkpoint.hash)).isOK)

        // Answers: the address is gone, the state, the other contact and the metrics are not.
        let contact = try ledger.contactJSON(campaign: "spring", contact: "c1")
        #expect(contact["address"] == .null)
        #expect(contact["forgotten"] == .bool(true))
        #expect(contact["state"]?.stringValue == "delivered")
        #expect(content(try ledger.contactJSON(campaign: "spring", contact: "c2")) == otherBefore)
        #expect(try ledger.contactJSON(campaign: "spring", contact: "c2")["forgotten"] == nil)
        #expect(content(try ledger.metricsJSON(campaign: "spring")) == metricsBefore)

        // The event itself: who, when, why; no address.
        let forgotten = try #require(try ledger.event(at: checkpoint.position + 1))
        #expect(forgotten.event.type == .contactForgotten)
        #expect(forgotten.event.reason == "GDPR request 7" && forgotten.event.actor == "admin:al")
        #expect(forgotten.event.address == nil)

        // History shows the erasure.
        let entries = try ledger.history(campaign: "spring", contact: "c1")
        #expect(entries.last?.effect == .erased)
        #expect(entries.last?.marks.isEmpty == true)
    }

    @Test func aRebuildAndARestoreGiveTheSameAnswers() throws {
        let ledger = try loaded()
        try ledger.forget(campaign: "spring", contact: "c1", reason: "r1")
        try ledger.forget(campaign: "spring", contact: "c3", reason: "r2")
        let incremental = try answers(ledger)
        // c3's address was not dialable: its reason survives without the address.
        let c3 = try ledger.contactJSON(campaign: "spring", contact: "c3")
        #expect(c3["state"]?.stringValue == "invalid_record")
        #expect(c3["reason"]?.stringValue?.contains("2 digits") == true, "\(c3.serialized())")

        let summary = try ledger.rebuild(verify: true, chunk: 3)
        #expect(summary.activated)
        #expect(try answers(ledger) == incremental)

        let export = try exportLines(ledger)
        let restored = try makeLedger()
        let imported = try restored.importLines(Array(export.joined().utf8), options: ImportOptions(restore: true))
        #expect(imported.rejected.isEmpty, "\(imported.rejected.map(\.message))")
        #expect(try restored.head() == ledger.head())
        #expect(try answers(restored) == incremental)
        #expect(try exportLines(restored) == export)
        #expect(try restored.verify().isOK)
        // The restored store knows the contact is forgotten.
        #expect(try restored.forget(campaign: "spring", contact: "c1", reason: "again").alreadyForgotten.count == 1)
    }

    @Test func forgettingTwiceDoesNothing() throws {
        let ledger = try loaded()
        try ledger.forget(campaign: "spring", contact: "c1", reason: "first")
        let head = try ledger.head()
        let again = try ledger.forget(campaign: "spring", contact: "c1", reason: "second")
        #expect(again.forgotten.isEmpty)
        #expect(again.alreadyForgotten.map(\.contact) == ["c1"])
        #expect(try ledger.head() == head)
        // An append of a second contact.forgotten is refused as well.
        let summary = try ledger.importLines(jsonl([#"{"type":"contact.forgotten","campaign":"spring","contact":"c1","at":"2026-11-22T08:00:00Z","reason":"x"}"#]))
        #expect(summary.appended == 0 && summary.rejected.map(\.message) == ["contact already forgotten"])
        #expect(throws: LedgerError.self) { try ledger.forget(campaign: "spring", contact: "nobody", reason: "x") }
        #expect(throws: LedgerError.self) { try ledger.forget(campaign: "spring", contact: "c2", reason: "") }
    }

    @Test func byAddressFindsEveryContactHoldingItInAnyWriting() throws {
        let ledger = try loaded()
        let result = try ledger.forget(address: "+420601234567", reason: "request 9")
        #expect(Set(result.forgotten.map { "\($0.campaign)/\($0.contact)" }) == ["spring/c1", "autumn/k9"])
        #expect(try ledger.contactJSON(campaign: "spring", contact: "c2")["address"]?.stringValue == "(415) 286-0129")
        // Gone now: nothing holds it, so nothing more is appended.
        let head = try ledger.head()
        let again = try ledger.forget(address: "+420 601 234 567", reason: "request 9")
        #expect(again.forgotten.isEmpty && again.alreadyForgotten.isEmpty)
        #expect(try ledger.head() == head)
        #expect(try ledger.verify().isOK)
    }

    @Test func aReDeliveredContactAddedStaysADuplicate() throws {
        let ledger = try loaded()
        try ledger.forget(campaign: "spring", contact: "c1", reason: "r")
        let head = try ledger.head()
        let again = try ledger.importLines(jsonl(history))
        #expect(again.appended == 0 && again.rejected.isEmpty)
        #expect(again.duplicates == history.count)
        #expect(try ledger.head() == head)
        #expect(try ledger.contactJSON(campaign: "spring", contact: "c1")["address"] == .null)
    }

    @Test func parkedCallbacksHoldingTheNumberAreDropped() throws {
        let ledger = try loaded()
        func parked(_ message: String, contact: String) -> ProviderStatus {
            ProviderStatus(
                provider: .meta, messageID: message, correlation: Correlation(campaign: "spring", contact: contact, attempt: 1),
                status: .delivered, providerStatus: "delivered", at: "2026-11-20T09:00:00Z", eventID: "cb-meta-\(message)",
                bodySHA256: String(repeating: "ab", count: 32))
        }
        // Correlation data naming the number as the contact (digits only) and an unrelated one.
        let outcomes = try ledger.receiveAndWait([parked("wamid.P1", contact: "420601234567"), parked("wamid.P2", contact: "c77")])
        try #require(outcomes.allSatisfy { if case .parked = $0 { true } else { false } }, "both park: \(outcomes)")
        let result = try ledger.forget(campaign: "spring", contact: "c1", reason: "r")
        #expect(result.parkedCallbacksDropped == 1)
        #expect(try ledger.parkedCallbacks().map(\.status.messageID) == ["wamid.P2"])
        #expect(try ledger.parkedCallbackCount() == 1)
    }

    @Test func aContactIDThatIsTheNumberIsReportedAsStillInTheLog() throws {
        let ledger = try makeLedger()
        try ledger.appendAndWait([
            try event(#"{"type":"campaign.created","campaign":"x","channel":"sms","at":"2026-11-20T08:00:00Z"}"#),
            try event(#"{"type":"contact.added","campaign":"x","contact":"+420601234567","address":"+420601234567","at":"2026-11-20T08:00:01Z"}"#),
        ])
        let result = try ledger.forget(address: "+420601234567", reason: "r")
        #expect(result.forgotten.count == 1)
        // The contact id is chain-covered: said, in the contact.added and in the erasure event.
        #expect(result.stillInLog == [2])
    }

    @Test func theErasureIsAllOrNothingAcrossContacts() throws {
        // Many contacts with one number: one transaction appends every contact.forgotten.
        let ledger = try makeLedger()
        var events = [try event(#"{"type":"campaign.created","campaign":"m","channel":"sms","at":"2026-11-20T08:00:00Z"}"#)]
        for i in 0..<50 {
            events.append(try event(#"{"type":"contact.added","campaign":"m","contact":"c\#(i)","address":"+4917012345\#(i % 2)","at":"2026-11-20T08:00:01Z"}"#))
        }
        try ledger.appendAndWait(events)
        let result = try ledger.forget(address: "+49 170 123450", reason: "r")
        #expect(result.forgotten.count == 25)
        #expect(Set(result.forgotten.map(\.position)).count == 25)
        let list = try ledger.contactListJSON(campaign: "m", state: nil, limit: 100, after: nil)
        let forgottenCount = (list.arrayValue ?? []).filter { $0["forgotten"] == .bool(true) }.count
        #expect(forgottenCount == 25)
    }

    /// Erasures interleaved with a messy generated history (statuses go on arriving for
    /// forgotten contacts): the inline projections equal a fresh fold of the log and a rebuild.
    @Test(arguments: [UInt64(3), 8])
    func erasuresInAGeneratedHistoryKeepIncrementalEqualToAFold(seed: UInt64) throws {
        var lines: [String] = []
        HistoryGenerator(seed: seed, campaigns: 4, contactsPerCampaign: 40).generate { lines.append($0) }
        let ledger = try makeLedger()
        let half = lines.count / 2
        var summary = try ledger.importLines(jsonl(Array(lines[..<half])), options: batches(50))
        #expect(summary.rejected.isEmpty, "\(summary.rejected.prefix(3))")
        // Forget every 5th contact known so far.
        var known: [(String, String)] = []
        for r in try ledger.events(from: 1, limit: .max) where r.event.type == .contactAdded {
            known.append((r.event.campaign, r.event.contact!))
        }
        try #require(known.count >= 20)
        for (i, (campaign, contact)) in known.enumerated() where i % 5 == 0 {
            try ledger.forget(campaign: campaign, contact: contact, reason: "request \(i)")
        }
        summary = try ledger.importLines(jsonl(Array(lines[half...])), options: batches(37))
        #expect(summary.rejected.isEmpty, "\(summary.rejected.prefix(3))")

        func compare(_ what: String) throws {
            let fold = Projector(try ledger.events(from: 1, limit: .max))
            var forgotten = 0
            for entry in fold.campaigns {
                let stored = try ledger.campaignJSON(entry.id)
                let fresh = try #require(fold.campaignShow(entry.id, build: try ledger.projectionBuild))
                #expect(stored["metrics"] == fresh["metrics"], "\(what): metrics of \(entry.id)")
                #expect(stored["status"] == fresh["status"], "\(what): status of \(entry.id)")
                let contacts = try ledger.contactListJSON(campaign: entry.id)
                #expect(contacts == fold.contactList(entry.id), "\(what): contacts of \(entry.id)")
                forgotten += (contacts.arrayValue ?? []).filter { $0["forgotten"] == .bool(true) }.count
            }
            #expect(forgotten == (known.count + 4) / 5, "\(what): forgotten contacts")
        }
        try compare("incremental")
        let before = try answers(for: ledger, campaigns: Projector(try ledger.events(from: 1, limit: .max)).campaigns.map(\.id))
        try ledger.rebuild(chunk: 64)
        try compare("rebuilt")
        #expect(try answers(for: ledger, campaigns: Projector(try ledger.events(from: 1, limit: .max)).campaigns.map(\.id)) == before)
        #expect(try ledger.verify().isOK)
    }

    func batches(_ size: Int) -> ImportOptions {
        var options = ImportOptions()
        options.batchSize = size
        return options
    }

    func answers(for ledger: Ledger, campaigns: [String]) throws -> [String] {
        try campaigns.flatMap { [content(try ledger.campaignJSON($0)), content(try ledger.contactListJSON(campaign: $0))] }
    }
}
