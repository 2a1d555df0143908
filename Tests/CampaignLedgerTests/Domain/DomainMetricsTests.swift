import Testing
import CampaignLedger

private func metrics(_ log: DomainLog, _ c: String = "c") -> JSONOutput {
    let p = log.projector
    let entry = p.campaign(c)!
    // The incremental counters always equal a recount from the contacts' folds.
    let folds = Array(entry.contacts.map(\.fold))
    #expect(entry.aggregate.metrics == Recount.metrics(family: entry.aggregate.family,
                                                       contacts: folds))
    return p.metrics(c)!
}

@Suite("Domain metrics (§6)")
struct DomainMetricsTests {
    @Test func emptyCampaignRatesAreNull() {
        let m = metrics(DomainLog.campaign(contacts: []))
        #expect(m.serialized() == """
            {"contacts":0,"states":{},"reached":0,"failed":0,"excluded":0,"invalid":0,"sent":0,\
            "delivered":0,"read":0,"responded":0,"deliveryRate":null,"readRate":null,\
            "responseRate":null,"attempts":0,"retries":0,"failures":{},"errorCodes":{},\
            "timeToDeliver":{"count":0,"p50":null,"p95":null,"max":null},\
            "timeToRead":{"count":0,"p50":null,"p95":null,"max":null}}
            """)
        let t = metrics(DomainLog.campaign(.telephone, contacts: []))
        #expect(t.serialized() == """
            {"contacts":0,"states":{},"reached":0,"failed":0,"excluded":0,"invalid":0,"dialed":0,\
            "connected":0,"success":0,"abandoned":0,"contactRate":null,"successRate":null,\
            "abandonRate":null,"attempts":0,"retries":0,"failures":{},"errorCodes":{}}
            """)
    }

    @Test func rateWithZeroDenominatorOnly() {
        var log = DomainLog.campaign(contacts: ["a"])
        log.status("a", .sent)
        let m = metrics(log)
        #expect(m["deliveryRate"] == .double(0))
        #expect(m["readRate"] == .null)
        #expect(m["responseRate"] == .null)
    }

    @Test func messagingCounts() {
        var log = DomainLog.campaign(contacts: ["a", "b", "c", "d", "e", "f"])
        log.status("a", .responded)                 // delivered, read, responded; not ever sent
        log.status("b", .successfullySubmitted)     // ever sent
        log.status("c", .deliveryFailed)            // ever sent, failed
        log.status("d", .read)
        log.status("d", .sent)
        log.status("e", .error)                     // failed, not ever sent
        log.removed("f")
        log.status("f", .sent)                      // removed contact's ever-sent counts
        log.added("x", address: "")
        log.status("x", .delivered)                 // invalid contact: ever sent counts
        let m = metrics(log)
        #expect(m["contacts"] == .int(7))
        #expect(m["states"]?.serialized()
                == #"{"delivery_failed":1,"error":1,"invalid_record":1,"read":1,"removed":1,"responded":1,"sent":1}"#)
        #expect(m["reached"] == .int(2))
        #expect(m["failed"] == .int(2))
        #expect(m["excluded"] == .int(1))
        #expect(m["invalid"] == .int(1))
        #expect(m["sent"] == .int(6))
        #expect(m["delivered"] == .int(2))
        #expect(m["read"] == .int(2))
        #expect(m["responded"] == .int(1))
        #expect(m["deliveryRate"] == .double(2.0 / 6.0))
        #expect(m["readRate"] == .double(1.0))
        #expect(m["responseRate"] == .double(0.5))
        #expect(m["failures"]?.serialized() == #"{"delivery_failed":1,"error":1}"#)
    }

    @Test func telephoneCounts() {
        var log = DomainLog.campaign(.telephone, contacts: ["a", "b", "c", "d", "e"])
        log.status("a", .calling)
        log.status("a", .callInProgress)
        log.status("a", .success)
        log.status("b", .calling)
        log.status("b", .canceledByClient)          // dialed, abandoned, failed
        log.status("c", .awaitingOperator)          // not dialed
        log.status("c", .rejectedByOperator)        // failure, not dispatch
        log.status("d", .acw)                       // connected (ever), pending
        log.status("d", .dialFailed, attempt: 2)     // failure in attempt 2
        log.status("e", .unreachable)               // dialed
        let m = metrics(log)
        #expect(m["dialed"] == .int(4))
        #expect(m["connected"] == .int(2))
        #expect(m["success"] == .int(1))
        #expect(m["abandoned"] == .int(1))
        #expect(m["contactRate"] == .double(0.5))
        #expect(m["successRate"] == .double(0.25))
        #expect(m["abandonRate"] == .double(1.0 / 3.0))
        #expect(m["attempts"] == .int(1 + 1 + 0 + 2 + 1))
        #expect(m["retries"] == .int(1))
        #expect(m["failures"]?.serialized()
                == #"{"canceled_by_client":1,"dial_failed":1,"rejected_by_operator":1,"unreachable":1}"#)
        #expect(m["timeToDeliver"] == nil)
    }

    @Test func attemptsAndRetries() {
        var log = DomainLog.campaign(contacts: ["a", "b", "c"])
        log.status("a", .error, attempt: 1)
        log.status("a", .retryScheduled, attempt: 2)
        log.status("a", .inProgress, attempt: 2)
        log.status("a", .retryScheduled, attempt: 3)  // not a dispatch report
        log.status("b", .queued, attempt: 4)          // not a dispatch report
        log.status("c", .read, attempt: 3)            // tier 3 counts with its attempt
        let m = metrics(log)
        #expect(m["attempts"] == .int(2 + 0 + 3))
        #expect(m["retries"] == .int(1 + 0 + 2))
        #expect(log.projector.contact("c", "b")?.attempt == 4)
    }

    @Test func errorCodesOnlyFromExplainingReport() {
        var log = DomainLog.campaign(.sms, contacts: ["a", "b", "c", "d"])
        log.status("a", .error, attempt: 1, code: "30001")
        log.status("a", .deliveryFailed, attempt: 2, code: "30003")   // explains a
        log.status("b", .error, code: "30008")
        log.status("b", .delivered)                                  // reached: not counted
        log.status("c", .failed)                                     // no code: not counted
        log.status("d", .deliveryFailed, code: "30003")
        let m = metrics(log)
        #expect(m["errorCodes"]?.serialized() == #"{"30003":2}"#)
        #expect(m["failures"]?.serialized() == #"{"delivery_failed":2,"failed":1}"#)
    }

    @Test func errorCodesSortedByCode() {
        var log = DomainLog.campaign(contacts: ["a", "b", "c"])
        log.status("a", .error, code: "b")
        log.status("b", .error, code: "B")
        log.status("c", .error, code: "10")
        #expect(metrics(log)["errorCodes"]?.keys == ["10", "B", "b"])
    }

    @Test func timingChangesWhenEarlierSentArrivesLater() {
        var log = DomainLog.campaign(contacts: ["a"])
        log.status("a", .sent, at: 100)
        log.status("a", .delivered, at: 105)
        log.status("a", .read, at: 110)
        var m = metrics(log)
        #expect(m["timeToDeliver"]?.serialized() == #"{"count":1,"p50":5.0,"p95":5.0,"max":5.0}"#)
        #expect(m["timeToRead"]?.serialized() == #"{"count":1,"p50":10.0,"p95":10.0,"max":10.0}"#)
        log.status("a", .successfullySubmitted, at: 90)   // an earlier sent, received late
        m = metrics(log)
        #expect(m["timeToDeliver"]?.serialized()
                == #"{"count":1,"p50":15.0,"p95":15.0,"max":15.0}"#)
        #expect(m["timeToRead"]?["max"] == .double(20))
        // An earlier delivered shortens it; one before the sent leaves the set (difference < 0).
        log.status("a", .delivered, at: 80)
        m = metrics(log)
        #expect(m["timeToDeliver"]?["count"] == .int(0))
        #expect(m["timeToDeliver"]?["max"] == .null)
        #expect(m["timeToRead"]?["count"] == .int(1))
    }

    @Test func timeToReadUsesReadOnly() {
        var log = DomainLog.campaign(contacts: ["a"])
        log.status("a", .sent, at: 0)
        log.status("a", .responded, at: 30)
        let m = metrics(log)
        #expect(m["timeToDeliver"]?["count"] == .int(1))
        #expect(m["timeToRead"]?["count"] == .int(0))
    }

    @Test func timingPercentilesNearestRank() {
        var log = DomainLog.campaign(contacts: (1...20).map { "k\($0)" })
        for i in 1...20 {
            log.status("k\(i)", .sent, at: 0)
            log.status("k\(i)", .delivered, at: i)
        }
        let t = metrics(log)["timeToDeliver"]!
        // Ranks ⌈0.5·20⌉ = 10 and ⌈0.95·20⌉ = 19 of 1…20 s.
        #expect(t.serialized() == #"{"count":20,"p50":10.0,"p95":19.0,"max":20.0}"#)
    }

    @Test func maxIsExactUnderRemoval() {
        var log = DomainLog.campaign(contacts: ["a", "b"])
        log.status("a", .sent, at: 0)
        log.status("a", .delivered, at: 1000)
        log.status("b", .sent, at: 0)
        log.status("b", .delivered, at: 7)
        #expect(metrics(log)["timeToDeliver"]?["max"] == .double(1000))
        log.status("a", .read, at: 3)          // a's earliest reached moves to 3 s
        #expect(metrics(log)["timeToDeliver"]?["max"] == .double(7))
    }

    @Test func channelTotals() {
        var log = DomainLog()
        log.created("w1", .whatsapp)
        log.created("w2", .whatsapp)
        log.created("t", .telephone)
        log.added("a", "w1")
        log.added("b", "w2")
        log.added("c", "w2")
        log.added("p", "t")
        log.status("a", .sent, "w1", at: 0)
        log.status("a", .delivered, "w1", at: 4)
        log.status("b", .sent, "w2", at: 0)
        log.status("b", .read, "w2", at: 10)
        log.status("c", .error, "w2", code: "131000")
        log.status("p", .calling, "t")
        let total = log.projector.channelMetrics()
        #expect(total.keys == ["whatsapp", "sms", "telephone"])
        let w = total["whatsapp"]!
        #expect(w["contacts"] == .int(3))
        #expect(w["sent"] == .int(2))
        #expect(w["delivered"] == .int(2))
        #expect(w["deliveryRate"] == .double(1))
        #expect(w["readRate"] == .double(0.5))
        #expect(w["errorCodes"]?.serialized() == #"{"131000":1}"#)
        #expect(w["timeToDeliver"]?.serialized() == #"{"count":2,"p50":4.0,"p95":10.0,"max":10.0}"#)
        #expect(total["sms"]?["contacts"] == .int(0))
        #expect(total["sms"]?["deliveryRate"] == .null)
        #expect(total["telephone"]?["dialed"] == .int(1))
        #expect(total["telephone"]?["contactRate"] == .double(0))
    }

    @Test func contactListOrderAndFilter() {
        var log = DomainLog.campaign(contacts: ["b", "a", "Z"])
        log.status("a", .read)
        log.removed("b")
        let p = log.projector
        guard case .array(let all) = p.contactList("c") else { Issue.record(); return }
        #expect(all.map { $0["contact"] } == [.string("Z"), .string("a"), .string("b")])
        guard case .array(let read) = p.contactList("c", state: .read) else { Issue.record(); return }
        #expect(read.count == 1 && read[0]["state"] == .string("read"))
        #expect(p.contactList("nope") == nil)
    }
}
