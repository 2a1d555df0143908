import Foundation
import Testing

/// `import` of the fixture, then every query answer checked against values worked out by hand.
@Suite(.timeLimit(.minutes(10))) struct CLIQueries {
    @Test func importSummaryCountsAppendedAndDuplicates() throws {
        let dir = try TempDir()
        let file = try dir.write("history.jsonl", Fixture.text)
        let r = try CLI.run(["import", file, "--json"], store: dir.at("store"))
        #expect(r.status == 0, "\(r)")
        let s = try r.json()
        #expect(s["lines"].int == 35)
        #expect(s["appended"].int == 34)
        #expect(s["duplicates"].int == 1)
        #expect(s["rejected"].int == 0)
        #expect(r.stderr.contains("34 appended, 1 duplicates, 0 rejected"), "\(r)")
    }

    @Test func campaignShowMessagingFinishedWithLateReceipt() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["campaign", "show", "spring", "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let c = try r.json()
        #expect(c["campaign"].string == "spring")
        #expect(c["channel"].string == "whatsapp")
        #expect(c["name"].string == "Spring promo")
        // finished with a reached contact → completed, endedBy finished, endedAt the finish's `at`.
        #expect(c["status"].string == "completed")
        #expect(c["endedBy"].string == "finished")
        #expect(c["paused"].bool == false)
        #expect(c["createdAt"].string == "2026-11-20T08:00:00Z")
        #expect(c["startedAt"].string == "2026-11-20T09:00:00Z")
        #expect(c["endedAt"].string == "2026-11-20T10:00:00Z")
        #expect(c["position"].int == 34)
        #expect(c["projectionVersion"].int != nil)
        let m = c["metrics"]
        #expect(m["contacts"].int == 5)
        let states: [String: Int] = ["read": 1, "delivery_failed": 1, "delivered": 1, "invalid_record": 1, "removed": 1]
        #expect(m["states"].counts == states)
        #expect(m["reached"].int == 2)   // c1 read, c3 delivered (late)
        #expect(m["failed"].int == 1)    // c2
        #expect(m["excluded"].int == 1)  // c5 removed
        #expect(m["invalid"].int == 1)   // c4
        #expect(m["sent"].int == 3)      // c1, c2, c3 ever sent / delivery_failed
        #expect(m["delivered"].int == 2)
        #expect(m["read"].int == 1)
        #expect(m["responded"].int == 0)
        let twoThirds: Double = 2.0 / 3.0
        #expect(m["deliveryRate"].double == twoThirds)
        #expect(m["readRate"].double == 0.5)
        #expect(m["responseRate"].double == 0.0)
        #expect(m["attempts"].int == 3)
        #expect(m["retries"].int == 0)
        let failures: [String: Int] = ["delivery_failed": 1]
        #expect(m["failures"].counts == failures)
        let codes: [String: Int] = ["131026": 1]
        #expect(m["errorCodes"].counts == codes)
        // c1: 09:00:03 − 09:00:01 = 2 s; c3: 2026-11-21T09:00:02 − 2026-11-20T09:00:02 = 86 400 s.
        let d = m["timeToDeliver"]
        #expect(d["count"].int == 2)
        #expect(d["p50"].double == 2.0)
        let p95: Double = d["p95"].double ?? 0
        let p95Error: Double = abs(p95 - 86_400.0)
        #expect(p95Error <= 864.0)
        #expect(d["max"].double == Double(86_400))
        // c1: 09:01:02 − 09:00:01 = 61 s.
        let timeToRead: [String: Any] = ["count": 1, "p50": 61.0, "p95": 61.0, "max": 61.0]
        #expect(m["timeToRead"] == JSON(value: timeToRead))
        #expect(!m.has("dialed"))
    }

    @Test func campaignShowTelephonePausedWithRetry() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let c = try CLI.run(["campaign", "show", "calls", "--json"], store: store).json()
        // t3 never dialed → not settled; the latest of paused/resumed is paused → paused.
        #expect(c["status"].string == "paused")
        #expect(c["endedBy"].isNull)
        #expect(c["endedAt"].isNull)
        #expect(c["paused"].bool == true)
        #expect(c["name"].isNull)
        let m = c["metrics"]
        #expect(m["contacts"].int == 3)
        let states: [String: Int] = ["success": 1, "canceled_by_client": 1, "initial": 1]
        #expect(m["states"].counts == states)
        #expect(m["reached"].int == 1)
        #expect(m["failed"].int == 1)
        #expect(m["dialed"].int == 2)
        #expect(m["connected"].int == 1)
        #expect(m["success"].int == 1)
        #expect(m["abandoned"].int == 1)
        #expect(m["contactRate"].double == 0.5)    // 1 / 2
        #expect(m["successRate"].double == 0.5)    // 1 / 2
        #expect(m["abandonRate"].double == 0.5)    // 1 / (1 + 1)
        // t1: attempt 1; t2: calling and canceled_by_client in attempt 2 → 1 + 2, one retry.
        #expect(m["attempts"].int == 3)
        #expect(m["retries"].int == 1)
        let failures: [String: Int] = ["canceled_by_client": 1]
        #expect(m["failures"].counts == failures)
        // t2 is explained by canceled_by_client, which has no code; dial_failed's "busy" is history.
        let noCodes: [String: Int] = [:]
        #expect(m["errorCodes"].counts == noCodes)
        for key in ["sent", "delivered", "read", "deliveryRate", "timeToDeliver", "timeToRead"] {
            #expect(!m.has(key), "telephone metrics carry no \(key)")
        }
    }

    @Test func zeroDenominatorsGiveNullRates() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let c = try CLI.run(["campaign", "show", "reminders", "--json"], store: store).json()
        #expect(c["status"].string == "sending")  // r1 queued: pending
        #expect(c["channel"].string == "sms")
        let m = c["metrics"]
        #expect(m["sent"].int == 0)
        #expect(m["deliveryRate"].isNull)
        #expect(m["readRate"].isNull)
        #expect(m["responseRate"].isNull)
        let none: [String: Int] = [:]
        #expect(m["errorCodes"].counts == none)
        #expect(m["failures"].counts == none)
        #expect(m["timeToDeliver"]["count"].int == 0)
        #expect(m["timeToDeliver"]["p50"].isNull)
        #expect(m["timeToDeliver"]["max"].isNull)
        #expect(m["timeToRead"]["p95"].isNull)
    }

    @Test func campaignListHasNoBreakdowns() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["campaign", "list", "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let list = try r.json()
        #expect(list.array.map { $0["campaign"].string ?? "" }.sorted() == ["calls", "reminders", "spring"])
        for c in list.array {
            #expect(c["metrics"].has("contacts"))
            #expect(!c["metrics"].has("states"))
            #expect(!c["metrics"].has("failures"))
            #expect(!c["metrics"].has("errorCodes"))
        }
        let spring = try #require(list.array.first { $0["campaign"].string == "spring" })
        #expect(spring["status"].string == "completed")
        #expect(spring["metrics"]["reached"].int == 2)
        // The human table names every campaign.
        let human = try CLI.run(["campaign", "list"], store: store)
        #expect(human.status == 0)
        for name in ["spring", "calls", "reminders"] { #expect(human.stdout.contains(name)) }
    }

    @Test func contactShowHasEveryField() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["contact", "show", "spring", "c2", "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let k = try r.json()
        let fields: Set<String> = ["campaign", "contact", "state", "class", "attempt", "code", "reason", "providerRef",
                           "address", "addedAt", "updatedAt", "reports", "position"]
        #expect(k.keys == fields)
        #expect(k["campaign"].string == "spring")
        #expect(k["contact"].string == "c2")
        #expect(k["state"].string == "delivery_failed")
        #expect(k["class"].string == "failure")
        #expect(k["attempt"].int == 1)
        #expect(k["code"].string == "131026")
        #expect(k["reason"].string == "Message undeliverable")
        #expect(k["providerRef"].string == "wamid.B2")
        #expect(k["address"].string == "+420601234568")
        #expect(k["addedAt"].string == "2026-11-20T08:01:00Z")
        #expect(k["updatedAt"].string == "2026-11-20T09:00:05Z")
        #expect(k["reports"].int == 3)  // added, sent, delivery_failed; the duplicate is not a report
        #expect(k["position"].int == 34)

        // c1: read explains; it has no providerRef, so the last reported one (sent's) is shown.
        let c1 = try CLI.run(["contact", "show", "spring", "c1", "--json"], store: store).json()
        #expect(c1["state"].string == "read")
        #expect(c1["class"].string == "reached")
        #expect(c1["providerRef"].string == "wamid.A1")
        #expect(c1["code"].isNull)
        #expect(c1["reason"].isNull)
        #expect(c1["updatedAt"].string == "2026-11-20T09:01:02Z")
        #expect(c1["reports"].int == 4)

        // c3: the `at` text is echoed exactly as given; the late receipt explains the state.
        let c3 = try CLI.run(["contact", "show", "spring", "c3", "--json"], store: store).json()
        #expect(c3["state"].string == "delivered")
        #expect(c3["address"].string == "+420 601 234 569")
        #expect(c3["addedAt"].string == "2026-11-20T09:01:00.5+01:00")
        #expect(c3["updatedAt"].string == "2026-11-21T09:00:02Z")

        // c4: letters in the address → invalid_record, attempt 0, code null, a reason.
        let c4 = try CLI.run(["contact", "show", "spring", "c4", "--json"], store: store).json()
        #expect(c4["state"].string == "invalid_record")
        #expect(c4["class"].string == "invalid")
        #expect(c4["attempt"].int == 0)
        #expect(c4["code"].isNull)
        #expect((c4["reason"].string ?? "").isEmpty == false)

        // t2: attempt is the highest resolved attempt (2); explained by canceled_by_client.
        let t2 = try CLI.run(["contact", "show", "calls", "t2", "--json"], store: store).json()
        #expect(t2["state"].string == "canceled_by_client")
        #expect(t2["attempt"].int == 2)
        #expect(t2["code"].isNull)
        #expect(t2["updatedAt"].string == "2026-11-20T09:30:20Z")
        #expect(t2["reports"].int == 6)
    }

    @Test func contactListFiltersAndPages() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let all = try CLI.run(["contact", "list", "spring", "--json"], store: store).json()
        #expect(all.array.map { $0["contact"].string ?? "" } == ["c1", "c2", "c3", "c4", "c5"])
        #expect(all.array.map { $0["state"].string ?? "" } == ["read", "delivery_failed", "delivered", "invalid_record", "removed"])
        let read = try CLI.run(["contact", "list", "spring", "--state", "read", "--json"], store: store).json()
        #expect(read.array.map { $0["contact"].string ?? "" } == ["c1"])
        let removed = try CLI.run(["contact", "list", "spring", "--state", "removed", "--json"], store: store).json()
        #expect(removed.array.map { $0["contact"].string ?? "" } == ["c5"])
        let none = try CLI.run(["contact", "list", "spring", "--state", "responded", "--json"], store: store)
        #expect(none.status == 0)
        #expect(try none.json().count == 0)

        let page1 = try CLI.run(["contact", "list", "spring", "--limit", "2", "--json"], store: store).json()
        #expect(page1.array.map { $0["contact"].string ?? "" } == ["c1", "c2"])
        let page2 = try CLI.run(["contact", "list", "spring", "--limit", "2", "--after", "c2", "--json"], store: store).json()
        #expect(page2.array.map { $0["contact"].string ?? "" } == ["c3", "c4"])
        let page3 = try CLI.run(["contact", "list", "spring", "--limit", "2", "--after", "c4", "--json"], store: store).json()
        #expect(page3.array.map { $0["contact"].string ?? "" } == ["c5"])
        // Every element has the `contact show` shape.
        #expect(page2[0].keys.contains("updatedAt"))
        #expect(page2[0].keys.contains("reports"))
    }

    @Test func metricsPerChannelAndPerCampaign() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let m = try CLI.run(["metrics", "--json"], store: store).json()
        let channels: Set<String> = ["whatsapp", "sms", "telephone"]
        #expect(m.keys == channels)
        #expect(m["whatsapp"]["contacts"].int == 5)
        let twoThirds: Double = 2.0 / 3.0
        #expect(m["whatsapp"]["deliveryRate"].double == twoThirds)
        #expect(m["whatsapp"]["timeToDeliver"]["count"].int == 2)
        #expect(m["sms"]["contacts"].int == 1)
        #expect(m["sms"]["deliveryRate"].isNull)
        #expect(m["telephone"]["contacts"].int == 3)
        #expect(m["telephone"]["abandonRate"].double == 0.5)
        #expect(m["telephone"]["retries"].int == 1)

        let one = try CLI.run(["metrics", "spring", "--json"], store: store)
        let show = try CLI.run(["campaign", "show", "spring", "--json"], store: store)
        let oneJSON = try one.json()
        let showJSON = try show.json()
        #expect(oneJSON == showJSON["metrics"])
    }

    @Test func asOfAnswersFromWhatWasRecordedThen() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        // Everything was recorded just now: as of 2000, nothing existed; as of 2100, everything.
        let before = try CLI.run(["campaign", "show", "spring", "--as-of", "2000-01-01T00:00:00Z"], store: store)
        #expect(before.status == 2, "\(before)")
        let later = try CLI.run(["campaign", "show", "spring", "--json", "--as-of", "2100-01-01T00:00:00Z"], store: store)
        #expect(try later.json()["metrics"]["reached"].int == 2)
        // Occurred before the late receipt: c3 is still only sent, the finished campaign has 1 reached.
        let early = try CLI.run(["campaign", "show", "spring", "--json", "--occurred-before", "2026-11-21T00:00:00Z"], store: store)
        let m = try early.json()["metrics"]
        #expect(m["reached"].int == 1)
        #expect(m["delivered"].int == 1)
        #expect(m["timeToDeliver"]["count"].int == 1)
    }
}
