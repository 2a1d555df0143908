import Testing
import CampaignLedger

private func status(_ log: DomainLog, _ c: String = "c") -> (CampaignStatus, CampaignEndedBy?) {
    let p = log.projector
    let agg = p.campaign(c)!.aggregate
    let direct = Recount.status(agg, contacts: Array(p.campaign(c)!.contacts.map(\.fold)))
    #expect(agg.status.status == direct.status && agg.status.endedBy == direct.endedBy)
    return agg.status
}

private func show(_ log: DomainLog, _ c: String = "c") -> JSONOutput {
    log.projector.campaignShow(c, projectionVersion: 1)!
}

@Suite("Domain campaign status (§4)")
struct DomainStatusTests {
    @Test func notStartedIsQueued() {
        let log = DomainLog.campaign(contacts: ["a"], start: false)
        #expect(status(log) == (.queued, nil))
        #expect(log.projector.campaign("c")!.aggregate.phase == .notStarted)
        // Even with every contact settled.
        var settled = log
        settled.status("a", .read)
        #expect(status(settled) == (.queued, nil))
    }

    @Test func startedWithoutContactsStaysSending() {
        let log = DomainLog.campaign(contacts: [])
        #expect(status(log) == (.sending, nil))
    }

    @Test func pendingContactKeepsSending() {
        var log = DomainLog.campaign(contacts: ["a", "b"])
        log.status("a", .read)
        log.status("b", .sent)
        #expect(status(log) == (.sending, nil))
        log.status("b", .deliveryFailed)
        #expect(status(log) == (.completed, .settled))
    }

    @Test func allSettledWithoutReachedFails() {
        var log = DomainLog.campaign(contacts: ["a", "b"])
        log.status("a", .error)
        log.removed("b")
        #expect(status(log) == (.failed, .settled))
        #expect(show(log)["endedAt"] == .null)
    }

    @Test func allRemovedIsFailed() {
        var log = DomainLog.campaign(contacts: ["a", "b"], start: false)
        log.removed("a")
        log.removed("b")
        log.started()
        #expect(status(log) == (.failed, .settled))
    }

    @Test func invalidContactsAreSettledContacts() {
        var log = DomainLog.campaign(contacts: [])
        log.added("x", address: "nope")
        #expect(status(log) == (.failed, .settled))
    }

    @Test func pausedAndResumed() {
        var log = DomainLog.campaign(contacts: ["a"])
        log.lifecycle(.campaignPaused)
        #expect(status(log) == (.paused, nil))
        #expect(show(log)["paused"] == .bool(true))
        log.lifecycle(.campaignResumed)
        #expect(status(log) == (.sending, nil))
        #expect(show(log)["paused"] == .bool(false))
    }

    @Test func pausedAllSettledIsCompletedAndPaused() {
        var log = DomainLog.campaign(contacts: ["a", "b"])
        log.status("a", .delivered)
        log.status("b", .failed)
        log.lifecycle(.campaignPaused)
        #expect(status(log) == (.completed, .settled))
        #expect(show(log)["paused"] == .bool(true))
        var failed = DomainLog.campaign(contacts: ["a"])
        failed.lifecycle(.campaignPaused)
        failed.status("a", .blockedOrSpam)
        #expect(status(failed) == (.failed, .settled))
        #expect(show(failed)["paused"] == .bool(true))
    }

    @Test func finishedAndCanceled() {
        var log = DomainLog.campaign(contacts: ["a", "b"])
        log.status("a", .read)
        log.lifecycle(.campaignFinished, at: 99)
        #expect(status(log) == (.completed, .finished))
        #expect(show(log)["endedAt"] == .string(DomainLog.atText(99)))
        #expect(log.projector.campaign("c")!.aggregate.phase == .ended)

        var canceled = DomainLog.campaign(contacts: ["a"])
        canceled.lifecycle(.campaignPaused)
        canceled.lifecycle(.campaignCanceled, at: 7)
        #expect(status(canceled) == (.failed, .canceled))
        #expect(show(canceled)["paused"] == .bool(false))
        #expect(show(canceled)["endedAt"] == .string(DomainLog.atText(7)))

        var beforeStart = DomainLog.campaign(contacts: ["a"], start: false)
        beforeStart.lifecycle(.campaignCanceled)
        #expect(status(beforeStart) == (.failed, .canceled))
    }

    @Test func lateReceiptTurnsFailedIntoCompleted() {
        var log = DomainLog.campaign(contacts: ["a"])
        log.status("a", .deliveryFailed)
        log.lifecycle(.campaignFinished)
        #expect(status(log) == (.failed, .finished))
        log.status("a", .delivered)
        #expect(status(log) == (.completed, .finished))
        // A late report can unsettle a campaign settled by its contacts.
        var settled = DomainLog.campaign(contacts: ["a", "b"])
        settled.status("a", .error)
        settled.status("b", .error)
        #expect(status(settled) == (.failed, .settled))
        settled.status("b", .retryScheduled, attempt: 2)
        #expect(status(settled) == (.sending, nil))
    }

    @Test func campaignShowShape() {
        // The example of interchange.md §3.
        var log = DomainLog()
        log.created("spring", .whatsapp, name: "Spring promo")
        log.started("spring", at: 1)
        log.added("a", "spring")
        log.added("b", "spring")
        log.added("r", "spring")
        log.status("a", .sent, "spring", at: 10)
        log.status("a", .delivered, "spring", at: 12)
        log.status("a", .read, "spring", at: 71)
        log.status("b", .sent, "spring", at: 10)
        log.status("b", .deliveryFailed, "spring", at: 20, code: "131026")
        log.removed("r", "spring")
        let json = log.projector.campaignShow("spring", build: 3, projectionVersion: 1)!
        let expected = """
            {"campaign":"spring","channel":"whatsapp","name":"Spring promo","status":"completed",\
            "endedBy":"settled","paused":false,"createdAt":"2026-11-20T08:00:00Z",\
            "startedAt":"2026-11-20T08:00:01Z","endedAt":null,"metrics":{"contacts":3,\
            "states":{"delivery_failed":1,"read":1,"removed":1},"reached":1,"failed":1,\
            "excluded":1,"invalid":0,"sent":2,"delivered":1,"read":1,"responded":0,\
            "deliveryRate":0.5,"readRate":1.0,"responseRate":0.0,"attempts":2,"retries":0,\
            "failures":{"delivery_failed":1},"errorCodes":{"131026":1},\
            "timeToDeliver":{"count":1,"p50":2.0,"p95":2.0,"max":2.0},\
            "timeToRead":{"count":1,"p50":61.0,"p95":61.0,"max":61.0}},"position":11,\
            "projectionVersion":1,"build":3}
            """
        #expect(json.serialized() == expected)
        let list = log.projector.campaignList(build: 4, projectionVersion: 2)
        guard case .array(let items) = list else { Issue.record("not an array"); return }
        #expect(items.count == 1)
        #expect(items[0]["metrics"]!.keys == [
            "contacts", "reached", "failed", "excluded", "invalid", "sent", "delivered", "read",
            "responded", "deliveryRate", "readRate", "responseRate", "attempts", "retries",
            "timeToDeliver", "timeToRead",
        ])
        #expect(items[0]["projectionVersion"] == .int(2))
        #expect(items[0]["build"] == .int(4))
    }

    @Test func unknownCampaignOrContactIsIgnored() {
        var log = DomainLog()
        log.started("ghost")
        log.added("k", "ghost")
        log.created("c", .sms)
        log.status("nobody", .read)
        log.removed("nobody")
        let p = log.projector
        #expect(p.campaign("ghost") == nil)
        #expect(p.campaign("c")!.contacts.isEmpty)
        #expect(p.position == 5)
        #expect(p.campaignShow("ghost") == nil)
        #expect(p.contactList("c") == .array([]))
    }
}
