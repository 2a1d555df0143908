import Foundation
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Provider callbacks over HTTP (http.md §3) against the built `ledger serve`: each provider's
/// payloads as it sends them (ProviderPayloads.swift builds and signs them from the providers'
/// documentation), their statuses as the contract's table says, duplicates, order, parking,
/// authenticity and the answers.
@Suite(.serialized)
struct ServerCallbackTests {
    /// A whatsapp campaign `wa`, started, with contacts `k0`…`k{n-1}`, and a server on it with every
    /// provider configured.
    static func start(contacts: Int, providers: String? = Providers.settings) async throws -> (Scratch, String, Server) {
        let scratch = try Scratch()
        let store = scratch.path("store")
        try setUp(store: store, contacts: contacts, scratch: scratch)
        let arguments = try providers.map { ["--providers", try scratch.write("providers.json", $0)] } ?? []
        let server = try Server(store: store, arguments: arguments, scratch: scratch)
        try await server.waitHealthy()
        return (scratch, store, server)
    }

    static func setUp(store: String, contacts: Int, scratch: Scratch, extra: [String] = []) throws {
        var lines = [
            #"{"type":"campaign.created","campaign":"wa","channel":"whatsapp","at":"2026-01-05T09:00:00Z"}"#,
            #"{"type":"campaign.started","campaign":"wa","at":"2026-01-05T09:00:00Z"}"#,
        ]
        for k in 0..<contacts {
            lines.append(#"{"type":"contact.added","campaign":"wa","contact":"k\#(k)","address":"+42060100\#(String(format: "%04d", k))","at":"2026-01-05T09:00:00Z"}"#)
        }
        let file = try scratch.write("setup-\(UUID().uuidString).jsonl", (lines + extra).joined(separator: "\n") + "\n")
        let r = try ledger(["import", file, "--store", store])
        try #require(r.status == 0, "setup import failed: \(r.err)")
    }

    // MARK: Every row of the mapping table

    struct Row: Sendable {
        var provider: String
        var value: String
        var state: String
        var code: String?
        var post: @Sendable (Server, String) async throws -> Server.Answer
    }

    /// Every status of http.md §3's table, one contact each, correlated by the provider's own
    /// field; the expected states are the contract's, written here by hand.
    static let rows: [Row] = {
        var rows: [Row] = []
        func meta(_ value: String, _ state: String, code: Int? = nil) {
            rows.append(Row(provider: "meta", value: value + (code.map { " \($0)" } ?? ""), state: state, code: code.map(String.init)) { server, contact in
                let body = Meta.body([[Meta.Status(
                    id: "wamid.map-\(contact)", status: value, timestamp: 1_767_604_260, correlation: Providers.correlation("wa", contact),
                    errorCode: code, errorTitle: code.map { "Error \($0)" })]])
                return try await server.meta(body)
            })
        }
        meta("sent", "sent"); meta("delivered", "delivered"); meta("read", "read"); meta("played", "read")
        meta("failed", "sending_failed", code: 131026); meta("failed", "blocked_or_spam", code: 131050)
        meta("failed", "delivery_failed", code: 131047)
        func twilio(_ value: String, _ state: String, code: String? = nil) {
            rows.append(Row(provider: "twilio", value: value, state: state, code: code) { server, contact in
                try await server.twilio(
                    path: Twilio.path(campaign: "wa", contact: contact),
                    params: Twilio.form(sid: "SM-map-\(contact)", status: value, errorCode: code))
            })
        }
        twilio("queued", "queued"); twilio("accepted", "queued"); twilio("scheduled", "queued")
        twilio("sending", "in_progress"); twilio("sent", "sent"); twilio("delivered", "delivered"); twilio("read", "read")
        twilio("failed", "sending_failed", code: "30008"); twilio("undelivered", "delivery_failed", code: "30003")
        func infobip(_ group: String, _ state: String, code: Int? = nil) {
            rows.append(Row(provider: "infobip", value: group, state: state, code: code.map(String.init)) { server, contact in
                let report = Infobip.report(
                    messageId: "IB-map-\(contact)", group: group, doneAt: "2026-01-05T09:31:00.000+0000",
                    callbackData: Providers.correlation("wa", contact), errorId: code ?? 0, errorName: code == nil ? "NO_ERROR" : "EC_ABSENT_SUBSCRIBER")
                return try await server.infobip(Infobip.body([report]))
            })
        }
        infobip("PENDING", "sent"); infobip("DELIVERED", "delivered"); infobip("REJECTED", "sending_failed", code: 14)
        infobip("UNDELIVERABLE", "delivery_failed", code: 27); infobip("EXPIRED", "delivery_failed", code: 27)
        rows.append(Row(provider: "infobip", value: "seen", state: "read", code: nil) { server, contact in
            try await server.infobip(Infobip.body([Infobip.seen(
                messageId: "IB-map-\(contact)", seenAt: "2026-01-05T09:32:00.000+0000", callbackData: Providers.correlation("wa", contact))]))
        })
        func vonage(_ value: String, _ state: String, code: String? = nil) {
            rows.append(Row(provider: "vonage", value: value, state: state, code: code) { server, contact in
                try await server.vonage(Vonage.status(
                    uuid: "aaaaaaaa-0000-4000-8000-\(String(repeating: "0", count: 12 - contact.count))\(contact)", status: value,
                    timestamp: "2026-01-05T09:31:00Z", clientRef: Providers.correlation("wa", contact),
                    errorTitle: code, errorDetail: code.map { "Error \($0)" }))
            })
        }
        vonage("submitted", "sent"); vonage("delivered", "delivered"); vonage("read", "read")
        vonage("rejected", "sending_failed", code: "1300"); vonage("undeliverable", "delivery_failed", code: "1320")
        vonage("failed", "delivery_failed", code: "1340")
        return rows
    }()

    @Test(.timeLimit(.minutes(4)))
    func everyStatusOfTheTableBecomesTheContractsState() async throws {
        let rows = Self.rows
        let (scratch, _, server) = try await Self.start(contacts: rows.count)
        defer { server.stopIfRunning(); scratch.remove() }
        for (k, row) in rows.enumerated() {
            let contact = "k\(k)"
            let answer = try await row.post(server, contact)
            #expect(answer.status == 200, "\(row.provider) \(row.value): \(answer.status) \(answer.body)")
            let outcomes = try object(answer.body)["outcomes"] as? [[String: Any]] ?? []
            #expect(outcomes.count == 1 && outcomes.first?["outcome"] as? String == "appended", "\(row.provider) \(row.value): \(answer.body)")
            let shown = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/\(contact)").body)
            #expect(shown["state"] as? String == row.state, "\(row.provider) \(row.value) → \(shown["state"] ?? "nil"), expected \(row.state)")
            if let code = row.code {
                #expect(shown["code"] as? String == code, "\(row.provider) \(row.value): code \(shown["code"] ?? "nil")")
            }
        }
    }

    // MARK: Batches, retries, order

    @Test(.timeLimit(.minutes(3)))
    func aMetaBatchRetriedIsOneReportEach() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 2)
        defer { server.stopIfRunning(); scratch.remove() }
        let k0 = Providers.correlation("wa", "k0"), k1 = Providers.correlation("wa", "k1")
        let body = Meta.body([
            [Meta.Status(id: "wamid.B0", status: "sent", timestamp: 1_767_604_200, correlation: k0),
             Meta.Status(id: "wamid.B1", status: "sent", timestamp: 1_767_604_201, correlation: k1)],
            [Meta.Status(id: "wamid.B0", status: "delivered", timestamp: 1_767_604_230, correlation: k0),
             Meta.Status(id: "wamid.B1", status: "delivered", timestamp: 1_767_604_231, correlation: k1),
             Meta.Status(id: "wamid.B0", status: "read", timestamp: 1_767_604_290, correlation: k0)],
        ])
        let first = try await server.meta(body)
        #expect(first.status == 200, "\(first.body)")
        let firstOutcomes = try #require(try object(first.body)["outcomes"] as? [[String: Any]])
        #expect(firstOutcomes.map { $0["outcome"] as? String } == Array(repeating: "appended", count: 5))
        let before = [try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body, try await server.request(.GET, "/v1/campaigns/wa/contacts/k1").body]
        #expect(try object(before[0])["state"] as? String == "read")
        #expect(try object(before[0])["reports"] as? Int == 4, "added and three statuses of k0: \(before[0])")
        #expect(try object(before[1])["state"] as? String == "delivered")

        // Meta retries the same webhook: every status is a duplicate of the event it made.
        let retry = try await server.meta(body)
        #expect(retry.status == 200)
        let retryOutcomes = try #require(try object(retry.body)["outcomes"] as? [[String: Any]])
        #expect(retryOutcomes.map { $0["outcome"] as? String } == Array(repeating: "duplicate", count: 5))
        #expect(retryOutcomes.map { $0["id"] as? String } == firstOutcomes.map { $0["id"] as? String })
        #expect(retryOutcomes.map { $0["position"] as? Int } == firstOutcomes.map { $0["position"] as? Int })
        let after = [try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body, try await server.request(.GET, "/v1/campaigns/wa/contacts/k1").body]
        #expect(after == before, "a retried webhook changed the contacts")
    }

    @Test(.timeLimit(.minutes(3)))
    func vonageStatusesOutOfOrderGiveReadAndMarkTheLateOnes() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1)
        defer { server.stopIfRunning(); scratch.remove() }
        let ref = Providers.correlation("wa", "k0")
        let uuid = "bbbbbbbb-0000-4000-8000-000000000001"
        for (status, time) in [("read", "2026-01-05T09:35:00Z"), ("delivered", "2026-01-05T09:31:00Z"), ("submitted", "2026-01-05T09:30:00Z")] {
            let a = try await server.vonage(Vonage.status(uuid: uuid, status: status, timestamp: time, clientRef: ref))
            #expect(a.status == 200, "\(status): \(a.body)")
        }
        let shown = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body)
        #expect(shown["state"] as? String == "read")
        #expect(shown["updatedAt"] as? String == "2026-01-05T09:35:00Z")
        #expect(shown["providerRef"] as? String == uuid)
        let history = try array(try await server.request(.GET, "/v1/campaigns/wa/history?contact=k0").body)
        let reports = history.filter { $0["type"] as? String == "contact.status" }
        #expect(reports.map { $0["status"] as? String } == ["read", "delivered", "sent"])
        #expect(reports.map { ($0["marks"] as? [String] ?? []).contains("late") } == [false, true, true])
        #expect(reports.allSatisfy { $0["actor"] as? String == "provider:vonage" })
    }

    // MARK: Which contact: the index, parking

    @Test(.timeLimit(.minutes(4)))
    func aReceiptBeforeTheSendersWriteIsParkedThenAppliedAsIfItCameAfter() async throws {
        let (scratch, store, first) = try await Self.start(contacts: 1)
        defer { first.stopIfRunning(); scratch.remove() }
        // Infobip's delivery report (basic auth) for a message the sender has not recorded yet.
        let report = Infobip.body([Infobip.report(messageId: "IB-77", group: "DELIVERED", doneAt: "2026-01-05T09:31:00.000+0000")])
        let answer = try await first.infobip(report, authorization: Infobip.basic)
        #expect(answer.status == 200, "\(answer.body)")
        let outcome = try #require((try object(answer.body)["outcomes"] as? [[String: Any]])?.first)
        #expect(outcome["outcome"] as? String == "parked")
        #expect((outcome["reason"] as? String ?? "").contains("IB-77"), "the reason names the message id: \(outcome)")
        let parked = try array(try await first.request(.GET, "/v1/callbacks/parked").body)
        #expect(parked.count == 1 && parked.first?["messageId"] as? String == "IB-77", "\(parked)")
        #expect(try first.stop() == 0)

        // The parked callback survives a restart; the sender's write of the message id applies it.
        let server = try Server(store: store, arguments: ["--providers", scratch.path("providers.json")], scratch: scratch)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).count == 1)
        let sent = #"{"type":"contact.status","campaign":"wa","contact":"k0","status":"sent","providerRef":"IB-77","at":"2026-01-05T09:30:00Z"}"#
        let appended = try await server.request(.POST, "/v1/events", body: "[" + sent + "]")
        #expect(appended.status == 200 || appended.status == 201, "\(appended.body)")
        let shown = try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body
        #expect(try object(shown)["state"] as? String == "delivered")
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).isEmpty)
        let history = try array(try await server.request(.GET, "/v1/campaigns/wa/history?contact=k0").body)
        let reports = history.filter { $0["type"] as? String == "contact.status" }
        #expect(reports.map { $0["status"] as? String } == ["sent", "delivered"])
        #expect(reports.map { ($0["marks"] as? [String] ?? []).contains("parked") } == [false, true])
        #expect(reports.last?["actor"] as? String == "provider:infobip")
        #expect(try server.stop() == 0)

        // As if it had arrived after: the same contact in a store given the two in that order.
        let reference = scratch.path("reference")
        try Self.setUp(store: reference, contacts: 1, scratch: scratch, extra: [
            sent, #"{"type":"contact.status","campaign":"wa","contact":"k0","status":"delivered","providerRef":"IB-77","at":"2026-01-05T09:31:00.000Z"}"#,
        ])
        let expected = try ledger(["contact", "show", "wa", "k0", "--json", "--store", reference])
        var got = try object(shown), want = try object(expected.out)
        for key in ["address"] { got[key] = nil; want[key] = nil }  // salted per store, same text
        #expect(NSDictionary(dictionary: got) == NSDictionary(dictionary: want), "\(shown) vs \(expected.out)")
        #expect(try ledger(["verify", "--store", store]).status == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func aRecordedMessageIDTiesTheCallbackWithoutCorrelation() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1)
        defer { server.stopIfRunning(); scratch.remove() }
        let sent = #"{"type":"contact.status","campaign":"wa","contact":"k0","status":"sent","providerRef":"IB-5","at":"2026-01-05T09:30:00Z"}"#
        #expect(try await server.request(.POST, "/v1/events", body: "[" + sent + "]").status < 300)
        let seen = try await server.infobip(Infobip.body([Infobip.seen(messageId: "IB-5", seenAt: "2026-01-05T09:40:00.000+0000")]))
        #expect(seen.status == 200)
        #expect((try object(seen.body)["outcomes"] as? [[String: Any]])?.first?["outcome"] as? String == "appended", "\(seen.body)")
        let shown = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body)
        #expect(shown["state"] as? String == "read")
        #expect(shown["updatedAt"] as? String == "2026-01-05T09:40:00.000Z")
    }

    @Test(.timeLimit(.minutes(3)))
    func anUnknownStatusIsParkedWithItsReasonAndTheOthersAppended() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 2)
        defer { server.stopIfRunning(); scratch.remove() }
        let body = Meta.body([[
            Meta.Status(id: "wamid.U0", status: "warning", timestamp: 1_767_604_200, correlation: Providers.correlation("wa", "k0")),
            Meta.Status(id: "wamid.U1", status: "delivered", timestamp: 1_767_604_200, correlation: Providers.correlation("wa", "k1")),
        ]])
        let a = try await server.meta(body)
        #expect(a.status == 200, "\(a.body)")
        let outcomes = try #require(try object(a.body)["outcomes"] as? [[String: Any]])
        #expect(outcomes.map { $0["outcome"] as? String } == ["parked", "appended"])
        #expect((outcomes.first?["reason"] as? String ?? "").contains("warning"), "\(outcomes)")
        #expect(try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k1").body)["state"] as? String == "delivered")
        #expect(try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body)["state"] as? String == "initial")
        let parked = try array(try await server.request(.GET, "/v1/callbacks/parked").body)
        #expect(parked.count == 1)
        #expect(parked.first?["providerStatus"] as? String == "warning")
        #expect(parked.first?["bodySha256"] as? String == SHA256Hex.of(body))
    }

    @Test(.timeLimit(.minutes(3)))
    func aReplyToARecordedMessageIsResponded() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1)
        defer { server.stopIfRunning(); scratch.remove() }
        let sent = Meta.body([[Meta.Status(id: "wamid.R1", status: "delivered", timestamp: 1_767_604_200, correlation: Providers.correlation("wa", "k0"))]])
        #expect(try await server.meta(sent).status == 200)
        let reply = Meta.inbound(id: "wamid.IN1", replyTo: "wamid.R1", timestamp: 1_767_604_500)
        let a = try await server.meta(reply)
        #expect(a.status == 200, "\(a.body)")
        let shown = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body)
        #expect(shown["state"] as? String == "responded")
        #expect(shown["updatedAt"] as? String == "2026-01-05T09:15:00Z")
    }

    @Test(.timeLimit(.minutes(3)))
    func twilioTakesTheProvidersTimeWhenItGivesOne() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 2)
        defer { server.stopIfRunning(); scratch.remove() }
        let withTime = try await server.twilio(
            path: Twilio.path(campaign: "wa", contact: "k0", attempt: 1),
            params: Twilio.form(sid: "SM-t0", status: "delivered", rawDlrDoneDate: "2601050931"))
        #expect(withTime.status == 200, "\(withTime.body)")
        let k0 = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k0").body)
        #expect(k0["updatedAt"] as? String == "2026-01-05T09:31:00Z")
        #expect(k0["providerRef"] as? String == "SM-t0")

        // Without RawDlrDoneDate: the time received.
        let before = Date()
        let withoutTime = try await server.twilio(path: Twilio.path(campaign: "wa", contact: "k1"), params: Twilio.form(sid: "SM-t1", status: "sent"))
        let after = Date()
        #expect(withoutTime.status == 200)
        let k1 = try object(try await server.request(.GET, "/v1/campaigns/wa/contacts/k1").body)
        let at = try #require((k1["updatedAt"] as? String).flatMap(parseTime), "\(k1)")
        #expect(at >= before.addingTimeInterval(-1) && at <= after.addingTimeInterval(1), "updatedAt \(at) not between \(before) and \(after)")
    }

    // MARK: Authenticity and malformed bodies

    @Test(.timeLimit(.minutes(3)))
    func aWrongOrMissingSignatureIsRefusedAndNothingStored() async throws {
        let (scratch, store, server) = try await Self.start(contacts: 1)
        defer { server.stopIfRunning(); scratch.remove() }
        let eventsBefore = try exportedIDs(store)
        let ref = Providers.correlation("wa", "k0")
        let meta = Meta.body([[Meta.Status(id: "wamid.S", status: "delivered", timestamp: 1_767_604_200, correlation: ref)]])
        let metaTampered = meta.replacingOccurrences(of: "delivered", with: "read")
        let twilioPath = Twilio.path(campaign: "wa", contact: "k0")
        let twilioForm = Twilio.form(sid: "SM-S", status: "delivered")
        let infobip = Infobip.body([Infobip.report(messageId: "IB-S", group: "DELIVERED", doneAt: "2026-01-05T09:31:00.000+0000", callbackData: ref)])
        let vonage = Vonage.status(uuid: "cccccccc-0000-4000-8000-000000000001", status: "delivered", timestamp: "2026-01-05T09:31:00Z", clientRef: ref)
        let refused: [(String, Server.Answer)] = [
            ("meta, wrong secret", try await server.meta(meta, signature: Meta.signature(meta, secret: "other"))),
            ("meta, body changed after signing", try await server.meta(metaTampered, signature: Meta.signature(meta))),
            ("meta, no signature", try await server.request(.POST, "/v1/callbacks/meta", body: meta)),
            ("twilio, wrong token", try await server.twilio(path: twilioPath, params: twilioForm, signature: Twilio.signature(path: twilioPath, params: twilioForm, token: "other"))),
            ("twilio, signed for another URL", try await server.twilio(path: twilioPath, params: twilioForm, signature: Twilio.signature(path: Twilio.path(campaign: "wa", contact: "k1"), params: twilioForm))),
            ("twilio, no signature", try await server.request(.POST, twilioPath, body: Twilio.encode(twilioForm), contentType: "application/x-www-form-urlencoded")),
            ("infobip, wrong token", try await server.infobip(infobip, authorization: "Bearer other")),
            ("infobip, no authorization", try await server.request(.POST, "/v1/callbacks/infobip", body: infobip)),
            ("vonage, wrong secret", try await server.vonage(vonage, authorization: Vonage.authorization(vonage, secret: "another-secret-of-32-bytes-or-more"))),
            ("vonage, payload_hash of another body", try await server.vonage(vonage, authorization: Vonage.authorization(vonage, hash: SHA256Hex.of("{}")))),
            ("vonage, no authorization", try await server.request(.POST, "/v1/callbacks/vonage", body: vonage)),
        ]
        for (what, answer) in refused {
            #expect(answer.status == 401, "\(what): \(answer.status) \(answer.body)")
            #expect(answer.body.contains(#""code":"unauthorized""#), "\(what): \(answer.body)")
        }
        #expect(try exportedIDs(store) == eventsBefore, "a refused callback stored an event")
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).isEmpty, "a refused callback was parked")

        // Bodies that are not the provider's format at all, correctly signed: 400.
        let garbage = "this is not a webhook"
        let malformed: [(String, Server.Answer)] = [
            ("meta", try await server.meta(garbage)),
            ("meta, JSON of another shape", try await server.meta(#"{"hello":"world"}"#)),
            ("infobip", try await server.infobip(garbage)),
            ("vonage", try await server.vonage(garbage)),
            ("twilio, JSON instead of a form", try await server.twilio(path: twilioPath, params: [], body: #"{"MessageSid":"SM1"}"#, contentType: "application/json")),
        ]
        for (what, answer) in malformed {
            #expect(answer.status == 400, "\(what): \(answer.status) \(answer.body)")
        }
        #expect(try exportedIDs(store) == eventsBefore)
    }

    @Test(.timeLimit(.minutes(3)))
    func unknownAndUnconfiguredProvidersAreNotFound() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1, providers: #"{"meta": {"appSecret": "\#(Providers.metaAppSecret)"}}"#)
        defer { server.stopIfRunning(); scratch.remove() }
        #expect(try await server.request(.POST, "/v1/callbacks/sinch", body: "{}").status == 404)
        let form = Twilio.form(sid: "SM-N", status: "sent")
        let twilio = try await server.twilio(path: Twilio.path(campaign: "wa", contact: "k0"), params: form)
        #expect(twilio.status == 404, "\(twilio.body)")
        #expect(twilio.body.contains("twilio"))
        let meta = Meta.body([[Meta.Status(id: "wamid.N", status: "sent", timestamp: 1_767_604_200, correlation: Providers.correlation("wa", "k0"))]])
        #expect(try await server.meta(meta).status == 200)
        #expect(try server.stop() == 0)

        // Without --providers no provider is configured.
        let bare = try Server(store: scratch.path("store"), scratch: scratch)
        defer { bare.stopIfRunning() }
        try await bare.waitHealthy()
        #expect(try await bare.meta(meta).status == 404)
    }

    @Test(.timeLimit(.minutes(3)))
    func parkedCallbacksAreDroppedOnlyWhenAsked() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1)
        defer { server.stopIfRunning(); scratch.remove() }
        let body = Vonage.status(uuid: "dddddddd-0000-4000-8000-000000000001", status: "delivered", timestamp: "2026-01-05T09:31:00Z")
        #expect(try await server.vonage(body).status == 200)
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).count == 1)
        let metrics = try await server.request(.GET, "/metrics").body
        #expect(metrics.contains("ledger_parked_callbacks 1"), "the gauge of parked callbacks: \(metrics.split(separator: "\n").filter { $0.contains("parked") })")
        #expect(try await server.request(.DELETE, "/v1/callbacks/parked").status == 400, "olderThan is required")
        #expect(try await server.request(.DELETE, "/v1/callbacks/parked?olderThan=soon").status == 400)
        let kept = try await server.request(.DELETE, "/v1/callbacks/parked?olderThan=1h")
        #expect(try object(kept.body)["dropped"] as? Int == 0, "\(kept.body)")
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).count == 1)
        try await Task.sleep(for: .milliseconds(20))
        let dropped = try await server.request(.DELETE, "/v1/callbacks/parked?olderThan=0s")
        #expect(try object(dropped.body)["dropped"] as? Int == 1, "\(dropped.body)")
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).isEmpty)
    }

    /// A secret rotated without a restart: the file gives both (new first), SIGHUP re-reads it,
    /// callbacks signed with either are taken; then the old one is removed and refused.
    @Test(.timeLimit(.minutes(3)))
    func aSecretIsRotatedWithoutARestart() async throws {
        let (scratch, _, server) = try await Self.start(contacts: 1, providers: #"{"meta": {"appSecret": "old-secret"}}"#)
        defer { server.stopIfRunning(); scratch.remove() }
        let providers = scratch.path("providers.json")
        var n = 0
        func post(_ secret: String) async throws -> Int {
            n += 1
            let body = Meta.body([[Meta.Status(id: "wamid.rot-\(n)", status: "sent", timestamp: 1_767_604_200, correlation: Providers.correlation("wa", "k0"))]])
            return try await server.meta(body, signature: Meta.signature(body, secret: secret)).status
        }
        func reload(_ json: String, until ready: () async throws -> Bool) async throws {
            try Data(json.utf8).write(to: URL(fileURLWithPath: providers))
            kill(server.process.processIdentifier, SIGHUP)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, !(try await ready()) { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(try await post("old-secret") == 200)
        #expect(try await post("new-secret") == 401)
        try await reload(#"{"meta": {"appSecret": ["new-secret", "old-secret"]}}"#) { try await post("new-secret") == 200 }
        #expect(try await post("new-secret") == 200)
        #expect(try await post("old-secret") == 200)
        // A file that no longer reads keeps the secrets in force.
        try Data("{broken".utf8).write(to: URL(fileURLWithPath: providers))
        kill(server.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await post("old-secret") == 200)
        try await reload(#"{"meta": {"appSecret": "new-secret"}}"#) { try await post("old-secret") == 401 }
        #expect(try await post("old-secret") == 401)
        #expect(try await post("new-secret") == 200)
        #expect(try server.stop() == 0)
        #expect(server.log.contains("kept the previous provider secrets"))
        #expect(!server.log.contains("old-secret") && !server.log.contains("new-secret"), "a secret reached the log")
    }

    // MARK: Crash

    /// SIGKILL while callbacks arrive: every callback answered 200 is, after a restart, an event
    /// (appended or duplicate) or a parked callback.
    @Test(.timeLimit(.minutes(5)))
    func sigkillLosesNoAcknowledgedCallback() async throws {
        let (scratch, store, server) = try await Self.start(contacts: 20)
        defer { server.stopIfRunning(); scratch.remove() }
        let acknowledged = Mutex2<[(outcome: String, id: String)]>([])
        let stop = Mutex2<Bool>(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var n = 0
                    while !stop.value {
                        n += 1
                        let contact = "k\((task * 7 + n) % 20)"
                        // One in four carries no correlation and names no recorded message: parked.
                        let correlation = n % 4 == 0 ? nil : Providers.correlation("wa", contact)
                        let body = Meta.body([[Meta.Status(
                            id: "wamid.crash-\(task)-\(n)", status: ["sent", "delivered", "read"][n % 3],
                            timestamp: 1_767_604_200 + n, correlation: correlation)]])
                        guard let answer = try? await server.meta(body), answer.status == 200,
                            let outcomes = (try? object(answer.body))?["outcomes"] as? [[String: Any]]
                        else { return }
                        acknowledged.update { list in
                            for o in outcomes { list.append((o["outcome"] as? String ?? "", o["id"] as? String ?? "")) }
                        }
                    }
                }
            }
            group.addTask {
                // Killed once both kinds were acknowledged and the posts go on (bounded: a loaded
                // machine acknowledges slowly).
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let acked = acknowledged.value
                    if acked.filter({ $0.outcome == "parked" }).count >= 3 && acked.filter({ $0.outcome == "appended" }).count >= 10 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                stop.set(true)
                kill(server.process.processIdentifier, SIGKILL)
            }
            try await group.waitForAll()
        }
        let acked = acknowledged.value
        #expect(acked.count > 10, "too few callbacks were acknowledged before the kill to test anything: \(acked.count)")
        let verify = try ledger(["verify", "--store", store])
        #expect(verify.status == 0, "verify after SIGKILL: \(verify.err)")
        let events = try exportedIDs(store)
        let parked = try ledger(["callbacks", "parked", "--json", "--store", store])
        #expect(parked.status == 0, "\(parked.err)")
        let parkedIDs = Set(try array(parked.out).compactMap { $0["id"] as? String })
        for (outcome, id) in acked {
            if outcome == "parked" {
                #expect(parkedIDs.contains(id), "parked callback \(id) was acknowledged and is gone")
            } else {
                #expect(events.contains(id), "callback \(id) was acknowledged (\(outcome)) and is not in the log")
            }
        }
        #expect(acked.contains { $0.outcome == "parked" } && acked.contains { $0.outcome == "appended" }, "both kinds acknowledged")
    }

    // MARK: Helpers

    func exportedIDs(_ store: String) throws -> Set<String> {
        let r = try ledger(["export", "--store", store])
        try #require(r.status == 0, "export: \(r.err)")
        return Set(try r.out.split(separator: "\n").map { try object(String($0))["id"] as? String ?? "" })
    }
}

func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
}

func array(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not a JSON array: \(text.prefix(300))")
}

/// An RFC 3339 time with or without fractional seconds.
func parseTime(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: text)
}

extension Server {
    func meta(_ body: String, signature: String? = nil) async throws -> Answer {
        try await request(.POST, "/v1/callbacks/meta", body: body, headers: [("X-Hub-Signature-256", signature ?? Meta.signature(body))])
    }

    func twilio(
        path: String, params: [(String, String)], signature: String? = nil, body: String? = nil,
        contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> Answer {
        try await request(
            .POST, path, body: body ?? Twilio.encode(params), contentType: contentType,
            headers: [("X-Twilio-Signature", signature ?? Twilio.signature(path: path, params: params))])
    }

    func infobip(_ body: String, authorization: String = Infobip.bearer) async throws -> Answer {
        try await request(.POST, "/v1/callbacks/infobip", body: body, headers: [("Authorization", authorization)])
    }

    func vonage(_ body: String, authorization: String? = nil) async throws -> Answer {
        try await request(.POST, "/v1/callbacks/vonage", body: body, headers: [("Authorization", authorization ?? Vonage.authorization(body))])
    }
}
