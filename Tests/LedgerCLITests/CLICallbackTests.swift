import Foundation
import Testing

/// `ledger callbacks import|parked|drop` against the built binary. The payloads are written as
/// the providers send them (Meta's webhook JSON, Twilio's form), not from the ledger's events;
/// every expected state comes from the table of http.md §3 and the join of domain.md §3, by hand.
enum CallbackFixture {
    /// Campaign `spring` (whatsapp), contacts k1…k6, started; k6 was sent as `wamid.K6` by the
    /// sender (so the providerRef index knows it). Campaign `texts` (sms) with s1, started.
    static let lines: [String] = [
        #"{"id":"f1","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z"}"#,
        #"{"id":"f2","type":"contact.added","campaign":"spring","contact":"k1","address":"+420601000001","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f3","type":"contact.added","campaign":"spring","contact":"k2","address":"+420601000002","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f4","type":"contact.added","campaign":"spring","contact":"k3","address":"+420601000003","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f5","type":"contact.added","campaign":"spring","contact":"k4","address":"+420601000004","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f6","type":"contact.added","campaign":"spring","contact":"k5","address":"+420601000005","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f7","type":"contact.added","campaign":"spring","contact":"k6","address":"+420601000006","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f8","type":"campaign.started","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#,
        #"{"id":"f9","type":"contact.status","campaign":"spring","contact":"k6","status":"sent","providerRef":"wamid.K6","at":"2026-11-20T09:00:01Z"}"#,
        #"{"id":"f10","type":"campaign.created","campaign":"texts","channel":"sms","at":"2026-11-20T08:00:00Z"}"#,
        #"{"id":"f11","type":"contact.added","campaign":"texts","contact":"s1","address":"+420602000001","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"f12","type":"campaign.started","campaign":"texts","at":"2026-11-20T09:00:00Z"}"#,
    ]
    static let events = 12

    /// A new store holding `lines`.
    static func store() throws -> (TempDir, String) {
        let dir = try TempDir()
        let store = dir.at("store")
        let file = try dir.write("fixture.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try CLI.run(["import", file], store: store)
        try #require(r.status == 0, "fixture import: \(r)")
        return (dir, store)
    }

    /// One Meta `statuses[]` item as the WhatsApp Cloud API sends it.
    static func metaStatus(
        _ id: String, _ status: String, timestamp: Int, correlation: String? = nil, errorCode: Int? = nil, title: String? = nil
    ) -> String {
        var fields = [#""id":"\#(id)""#, #""status":"\#(status)""#, #""timestamp":"\#(timestamp)""#, #""recipient_id":"420601000001""#]
        if let correlation { fields.append(#""biz_opaque_callback_data":"\#(correlation)""#) }
        if let errorCode {
            fields.append(#""errors":[{"code":\#(errorCode),"title":"\#(title ?? "Error")","message":"\#(title ?? "Error")","error_data":{"details":"x"}}]"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A Meta webhook body (one line): `entry[0].changes[0].value.statuses`.
    static func metaBody(_ statuses: [String]) -> String {
        #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[\#(statuses.joined(separator: ","))]},"field":"messages"}]}]}"#
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLICallbackTests {
    // Unix seconds of the provider times used below (worked out by hand).
    static let t0905 = 1_795_165_205  // 2026-11-20T09:00:05Z
    static let t0907 = 1_795_165_207  // 2026-11-20T09:00:07Z
    static let t0909 = 1_795_165_209  // 2026-11-20T09:00:09Z

    func state(_ store: String, _ campaign: String, _ contact: String) throws -> JSON {
        let r = try CLI.run(["contact", "show", campaign, contact, "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        return try r.json()
    }

    @Test func metaBodiesAreTiedByCorrelationDataOrTheProviderRefIndexAndMappedAsTheTableSays() throws {
        let (dir, store) = try CallbackFixture.store()
        typealias F = CallbackFixture
        let bodies = [
            // k1 out of order: read, then delivered, then sent; the join keeps read.
            F.metaBody([
                F.metaStatus("wamid.K1", "read", timestamp: Self.t0909, correlation: "spring/k1"),
                F.metaStatus("wamid.K2", "failed", timestamp: Self.t0907, correlation: "spring/k2/1", errorCode: 131026, title: "Message undeliverable"),
                F.metaStatus("wamid.K3", "failed", timestamp: Self.t0907, correlation: "spring/k3", errorCode: 131050, title: "User stopped marketing messages"),
            ]),
            F.metaBody([
                F.metaStatus("wamid.K1", "delivered", timestamp: Self.t0907, correlation: "spring/k1"),
                F.metaStatus("wamid.K4", "failed", timestamp: Self.t0907, correlation: "spring/k4", errorCode: 131000, title: "Something went wrong"),
                F.metaStatus("wamid.K5", "played", timestamp: Self.t0909, correlation: "spring/k5"),
            ]),
            F.metaBody([F.metaStatus("wamid.K1", "sent", timestamp: Self.t0905, correlation: "spring/k1")]),
            // No correlation data: the providerRef index names k6 (its sent recorded wamid.K6).
            F.metaBody([F.metaStatus("wamid.K6", "delivered", timestamp: Self.t0907)]),
        ]
        let file = try dir.write("meta.jsonl", bodies.joined(separator: "\n") + "\n")
        let r = try CLI.run(["callbacks", "import", "--provider", "meta", file, "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let summary = try r.json()
        #expect(summary["requests"].int == 4)
        #expect(summary["statuses"].int == 8)
        #expect(summary["appended"].int == 8)
        #expect(summary["duplicates"].int == 0)
        #expect(summary["parked"].int == 0)
        #expect(summary["outcomes"].count == 8)
        #expect(summary["outcomes"].array.allSatisfy { $0["outcome"].string == "appended" && $0["id"].string?.hasPrefix("cb-meta-") == true })
        // Positions follow the fixture's 12 events, in the file's order.
        #expect(summary["outcomes"].array.map { $0["position"].int ?? -1 } == Array(13...20))

        let k1 = try state(store, "spring", "k1")
        #expect(k1["state"].string == "read")
        #expect(k1["updatedAt"].string == "2026-11-20T09:00:09Z")
        #expect(k1["providerRef"].string == "wamid.K1")
        #expect(k1["reports"].int == 4)  // added + read + delivered + sent
        let k2 = try state(store, "spring", "k2")
        #expect(k2["state"].string == "sending_failed")
        #expect(k2["code"].string == "131026")
        #expect(k2["reason"].string == "Message undeliverable")
        #expect(k2["attempt"].int == 1)
        #expect(try state(store, "spring", "k3")["state"].string == "blocked_or_spam")
        let k4 = try state(store, "spring", "k4")
        #expect(k4["state"].string == "delivery_failed")
        #expect(k4["code"].string == "131000")
        #expect(try state(store, "spring", "k5")["state"].string == "read")
        let k6 = try state(store, "spring", "k6")
        #expect(k6["state"].string == "delivered")
        #expect(k6["updatedAt"].string == "2026-11-20T09:00:07Z")

        // The events say who reported them and keep the provider's own status.
        let history = try CLI.run(["history", "spring", "k5", "--json"], store: store)
        #expect(history.status == 0, "\(history)")
        let played = try #require(try history.json().array.last)
        #expect(played["actor"].string == "provider:meta")
        #expect(played["status"].string == "read")
        #expect(played["providerRef"].string == "wamid.K5")
        #expect(played["meta"].description.contains(#""providerStatus":"played""#), "\(played)")

        // A replay of the same file (Meta retried every webhook): all duplicates, nothing appended.
        let again = try CLI.run(["callbacks", "import", "--provider", "meta", file, "--json"], store: store)
        #expect(again.status == 0, "\(again)")
        #expect(try again.json()["appended"].int == 0)
        #expect(try again.json()["duplicates"].int == 8)
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == CallbackFixture.events + 8)
    }

    @Test func aTwilioFormTakesItsContactFromTheURLGivenWithDashDashURL() throws {
        let (dir, store) = try CallbackFixture.store()
        let file = try dir.write("twilio.txt", """
            MessageSid=SM0001&MessageStatus=sent&AccountSid=AC01&From=%2B15550001111&To=%2B420602000001&ApiVersion=2010-04-01
            MessageSid=SM0001&MessageStatus=delivered&AccountSid=AC01&From=%2B15550001111&To=%2B420602000001&RawDlrDoneDate=2611200931&ApiVersion=2010-04-01

            """)
        let url = "https://hooks.example.com/v1/callbacks/twilio?campaign=texts&contact=s1&attempt=1"
        let r = try CLI.run(["callbacks", "import", "--provider", "twilio", "--url", url, file], store: store)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("2 requests, 2 statuses: 2 appended, 0 duplicates, 0 parked"), "\(r)")
        let s1 = try state(store, "texts", "s1")
        #expect(s1["state"].string == "delivered")
        #expect(s1["providerRef"].string == "SM0001")
        #expect(s1["attempt"].int == 1)
        #expect(s1["updatedAt"].string == "2026-11-20T09:31:00Z")  // RawDlrDoneDate, YYMMDDhhmm UTC

        // Without --url the forms name no contact and no event records SM0002: parked.
        let lone = try dir.write("lone.txt", "MessageSid=SM0002&MessageStatus=delivered&AccountSid=AC01\n")
        let parked = try CLI.run(["callbacks", "import", "--provider", "twilio", lone], store: store)
        #expect(parked.status == 0, "\(parked)")
        #expect(parked.stdout.contains("1 parked"), "\(parked)")
        #expect(parked.stdout.contains("ledger callbacks parked"), "\(parked)")
    }

    @Test func aFileWithABadLineAppendsNothingAndNamesTheLine() throws {
        let (dir, store) = try CallbackFixture.store()
        typealias F = CallbackFixture
        let good = F.metaBody([F.metaStatus("wamid.K1", "delivered", timestamp: Self.t0907, correlation: "spring/k1")])
        let file = try dir.write("mixed.jsonl", [good, "not a webhook", good].joined(separator: "\n") + "\n")
        let r = try CLI.run(["callbacks", "import", "--provider", "meta", file], store: store)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("\(file):2:"), "\(r)")
        #expect(!r.stderr.contains("\(file):1:") && !r.stderr.contains("\(file):3:"), "\(r)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == CallbackFixture.events)
        #expect(try state(store, "spring", "k1")["state"].string == "initial")

        // From standard input the place is <stdin>:LINE.
        let piped = try CLI.run(["callbacks", "import", "--provider", "meta", "-"], store: store, stdin: "\n{\"object\":\"page\",\"entry\":[]}\n")
        #expect(piped.status == 65, "\(piped)")
        #expect(piped.stderr.contains("<stdin>:2:"), "\(piped)")
    }

    @Test func aStatusForAnUnknownMessageIsParkedThenAppliedByTheSendersEvent() throws {
        let (dir, store) = try CallbackFixture.store()
        typealias F = CallbackFixture
        // The receipt beats the sender's own write of the message id.
        let file = try dir.write("early.jsonl", F.metaBody([F.metaStatus("wamid.EARLY", "delivered", timestamp: Self.t0907)]) + "\n")
        let r = try CLI.run(["callbacks", "import", "--provider", "meta", file, "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let outcome = try r.json()["outcomes"][0]
        #expect(outcome["outcome"].string == "parked")
        #expect(outcome["reason"].string?.contains("wamid.EARLY") == true, "\(outcome)")
        #expect(!outcome.has("position"))
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == CallbackFixture.events)

        let listed = try CLI.run(["callbacks", "parked", "--json"], store: store)
        #expect(listed.status == 0, "\(listed)")
        let parked = try listed.json()
        #expect(parked.count == 1)
        let p = parked[0]
        #expect(p["id"] == outcome["id"])
        #expect(p["provider"].string == "meta")
        #expect(p["messageId"].string == "wamid.EARLY")
        #expect(p["status"].string == "delivered")
        #expect(p["providerStatus"].string == "delivered")
        #expect(p["campaign"].isNull && p["contact"].isNull && p["attempt"].isNull)
        #expect(p["at"].string == "2026-11-20T09:00:07Z")
        #expect(p["problem"].isNull)
        #expect(p["parkedBecause"].string == outcome["reason"].string)
        #expect(p["bodySha256"].string?.count == 64)
        #expect(p.keys == ["id", "provider", "messageId", "campaign", "contact", "attempt", "status", "providerStatus",
                           "code", "reason", "at", "receivedAt", "bodySha256", "problem", "parkedBecause"])
        let table = try CLI.run(["callbacks", "parked"], store: store)
        #expect(table.status == 0, "\(table)")
        #expect(table.stdout.contains("wamid.EARLY") && table.stdout.contains("meta"), "\(table)")

        // The sender records the message id: the parked receipt is appended right after it.
        let sent = #"{"id":"send-k2","type":"contact.status","campaign":"spring","contact":"k2","status":"sent","providerRef":"wamid.EARLY","at":"2026-11-20T09:00:02Z"}"#
        let a = try CLI.run(["append", "--json"], store: store, stdin: sent + "\n")
        #expect(a.status == 0, "\(a)")
        #expect(try a.json()["position"].int == CallbackFixture.events + 1)
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == CallbackFixture.events + 2)
        let k2 = try state(store, "spring", "k2")
        #expect(k2["state"].string == "delivered")
        #expect(k2["updatedAt"].string == "2026-11-20T09:00:07Z")
        #expect(try CLI.run(["callbacks", "parked", "--json"], store: store).json().count == 0)
        #expect(try CLI.run(["callbacks", "parked"], store: store).stdout.contains("no parked callbacks"))

        let history = try CLI.run(["history", "spring", "k2", "--json"], store: store)
        #expect(history.status == 0, "\(history)")
        let entries = try history.json().array
        let applied = try #require(entries.last)
        #expect(applied["id"] == outcome["id"])
        #expect(applied["position"].int == CallbackFixture.events + 2)
        #expect(applied["status"].string == "delivered")
        #expect(applied["stateBefore"].string == "sent")
        #expect(applied["stateAfter"].string == "delivered")
        #expect(applied["marks"].array.map(\.string) == ["parked"])
        #expect(applied["meta"].description.contains("parkedAt"), "\(applied)")
        #expect(entries.dropLast().allSatisfy { $0["marks"].array.isEmpty })
    }

    @Test func parkedCallbacksAreDroppedOnlyByDrop() throws {
        let (dir, store) = try CallbackFixture.store()
        typealias F = CallbackFixture
        // An unknown status string (kept with its problem, even with correlation data), a
        // receipt for a message no event records, and one whose correlation data names a contact
        // that is not in the campaign (its event is rejected): all three parked.
        let file = try dir.write("odd.jsonl", F.metaBody([
            F.metaStatus("wamid.K1", "deleted", timestamp: Self.t0907, correlation: "spring/k1"),
            F.metaStatus("wamid.NOBODY", "read", timestamp: Self.t0909),
            F.metaStatus("wamid.K99", "read", timestamp: Self.t0909, correlation: "spring/k99"),
        ]) + "\n")
        let r = try CLI.run(["callbacks", "import", "--provider", "meta", file, "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        #expect(try r.json()["parked"].int == 3)
        let rejected = try r.json()["outcomes"][2]
        #expect(rejected["outcome"].string == "parked")
        #expect(rejected["reason"].string?.hasPrefix("rejected:") == true, "\(rejected)")
        let parked = try CLI.run(["callbacks", "parked", "--json"], store: store).json()
        #expect(parked.count == 3)
        let unknown = try #require(parked.array.first { $0["messageId"].string == "wamid.K1" })
        #expect(unknown["status"].isNull)
        #expect(unknown["providerStatus"].string == "deleted")
        #expect(unknown["campaign"].string == "spring" && unknown["contact"].string == "k1")
        #expect(unknown["problem"].string?.contains("unknown meta status 'deleted'") == true, "\(unknown)")

        // A long age keeps them; an age that is not one is a usage error.
        let keep = try CLI.run(["callbacks", "drop", "--older-than", "7d", "--json"], store: store)
        #expect(keep.status == 0, "\(keep)")
        #expect(try keep.json() == JSON.parse(#"{"dropped":0}"#))
        #expect(try CLI.run(["callbacks", "drop", "--older-than", "soon"], store: store).status == 64)
        #expect(try CLI.run(["callbacks", "drop", "--older-than", "-1d"], store: store).status == 64)
        #expect(try CLI.run(["callbacks", "parked", "--json"], store: store).json().count == 3)

        // 0s: everything received before now.
        let drop = try CLI.run(["callbacks", "drop", "--older-than", "0s", "--json"], store: store)
        #expect(drop.status == 0, "\(drop)")
        #expect(try drop.json() == JSON.parse(#"{"dropped":3}"#))
        #expect(try CLI.run(["callbacks", "parked", "--json"], store: store).json().count == 0)
        let again = try CLI.run(["callbacks", "drop", "--older-than", "0s"], store: store)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("dropped 0 parked callbacks"), "\(again)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == CallbackFixture.events)
    }

    @Test func usageErrorsAndAMissingStore() throws {
        let (dir, store) = try CallbackFixture.store()
        let file = try dir.write("empty.jsonl", "\n")
        #expect(try CLI.run(["callbacks", "import", "--provider", "sinch", file], store: store).status == 64)
        #expect(try CLI.run(["callbacks", "import", file], store: store).status == 64)  // --provider is required
        #expect(try CLI.run(["callbacks", "drop"], store: store).status == 64)  // --older-than is required
        let missing = dir.at("nothing-here")
        let r = try CLI.run(["callbacks", "parked"], store: missing)
        #expect(r.status == 2, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        let i = try CLI.run(["callbacks", "import", "--provider", "meta", file], store: missing)
        #expect(i.status == 2, "\(i)")
    }

    @Test func helpNamesTheOptions() throws {
        let group = try CLI.run(["callbacks", "--help"])
        #expect(group.status == 0, "\(group)")
        for sub in ["import", "parked", "drop"] { #expect(group.stdout.contains(sub), "\(group)") }
        let imp = try CLI.run(["callbacks", "import", "--help"])
        #expect(imp.status == 0, "\(imp)")
        for option in ["--provider", "--url", "--json", "--store", "meta", "twilio", "infobip", "vonage", "65"] {
            #expect(imp.stdout.contains(option), "callbacks import --help lacks \(option): \(imp.stdout)")
        }
        let parked = try CLI.run(["callbacks", "parked", "--help"])
        #expect(parked.stdout.contains("--json"), "\(parked)")
        let drop = try CLI.run(["callbacks", "drop", "--help"])
        for option in ["--older-than", "--json", "7d"] {
            #expect(drop.stdout.contains(option), "callbacks drop --help lacks \(option): \(drop.stdout)")
        }
    }
}
