import CampaignLedgerDemo
import Foundation
import NIOHTTP1
import Testing

/// A generated campaign history whose status reports arrive as provider webhooks: the states,
/// metrics and campaign statuses the callbacks produce equal those of the same history given to
/// `ledger import` as events.
///
/// The history is the demo generator's (realistic: late, duplicated, out-of-order reports).
/// WhatsApp reports become Vonage status webhooks correlated by `client_ref`; SMS delivery
/// reports become Infobip reports *without* correlation data, so they are tied to their contact
/// through the `providerRef` the sender's own `sent` event records (the index), or parked when
/// they arrive before it and applied when it comes. Every other line is posted to `/v1/events`
/// in trace order. The reference store imports the same lines, minus the webhook statuses a
/// provider's dedupe key makes duplicates (the first is kept, as the ledger keeps it).
///
/// With `CALLBACK_TRACE_OUT=DIR` the callback store and the reference trace stay in DIR, for
/// `ledger-oracle compare --ledger .build/debug/ledger --store DIR/store DIR/trace.jsonl`.
@Suite(.serialized)
struct ServerCallbackTraceTests {
    @Test(.timeLimit(.minutes(8)))
    func aHistoryPostedAsWebhooksGivesTheStatesOfTheHistoryImported() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = ProcessInfo.processInfo.environment["CALLBACK_TRACE_OUT"]
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let store = out.map { $0 + "/store" } ?? scratch.path("store")
        if out != nil { try? FileManager.default.removeItem(atPath: store) }

        let lines = HistoryGenerator(seed: 2026, campaigns: 4, contactsPerCampaign: 60).lines()
        let plan = try Conversion(lines)
        #expect(plan.vonage > 50 && plan.infobip > 30, "too few webhooks to test anything: \(plan.vonage) Vonage, \(plan.infobip) Infobip")
        #expect(plan.parkedFirst > 0, "no Infobip report arrives before its sent event: the parking path is not exercised")

        // The callback store: its first event imported by the CLI (a server needs a store), then
        // everything else posted in trace order.
        guard case .event(let firstLine) = plan.steps.first else { Issue.record("the history does not start with an event"); return }
        let created = try ledger(["import", "-", "--store", store], stdin: firstLine + "\n")
        try #require(created.status == 0, "first event: \(created.err)")
        let server = try Server(store: store, arguments: ["--providers", try scratch.write("providers.json", Providers.settings)], scratch: scratch)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()
        var pending: [String] = []
        func flush() async throws {
            guard !pending.isEmpty else { return }
            let a = try await server.request(.POST, "/v1/events", body: "[" + pending.joined(separator: ",") + "]")
            try #require(a.status == 200, "events batch: \(a.status) \(a.body)")
            pending.removeAll()
        }
        var outcomes: [String: Int] = [:]
        for step in plan.steps.dropFirst() {
            switch step {
            case .event(let line): pending.append(line)
            case .vonage(let body), .infobip(let body):
                try await flush()
                let a: Server.Answer
                if case .vonage = step { a = try await server.vonage(body) } else { a = try await server.infobip(body) }
                try #require(a.status == 200, "webhook: \(a.status) \(a.body)")
                for o in try object(a.body)["outcomes"] as? [[String: Any]] ?? [] { outcomes[o["outcome"] as? String ?? "?", default: 0] += 1 }
            }
        }
        try await flush()
        #expect(outcomes["duplicate", default: 0] == plan.duplicates, "duplicates: \(outcomes)")
        #expect(outcomes["parked", default: 0] == plan.parkedFirst, "parked on arrival: \(outcomes)")
        #expect(try array(try await server.request(.GET, "/v1/callbacks/parked").body).isEmpty, "every parked report was applied")

        // The reference: the same history as events, by the CLI.
        let trace = (out.map { $0 + "/trace.jsonl" }) ?? scratch.path("trace.jsonl")
        try (plan.reference.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)
        let reference = scratch.path("reference")
        let imported = try ledger(["import", trace, "--store", reference])
        try #require(imported.status == 0, "reference import: \(imported.err)")

        for campaign in plan.campaigns {
            for (path, command) in [
                ("/v1/campaigns/\(campaign)/contacts?limit=100000", ["contact", "list", campaign, "--limit", "100000"]),
                ("/v1/campaigns/\(campaign)/metrics", ["metrics", campaign]),
                ("/v1/campaigns/\(campaign)", ["campaign", "show", campaign]),
            ] {
                let got = try await server.request(.GET, path)
                let want = try ledger(command + ["--json", "--store", reference])
                try #require(got.status == 200 && want.status == 0, "\(path): \(got.body) / \(want.err)")
                // Positions differ where a parked report was appended later, and a provider writes
                // its times in its own format (Infobip: always milliseconds): all else is equal.
                let a = try comparable(JSONSerialization.jsonObject(with: Data(got.body.utf8)))
                let b = try comparable(JSONSerialization.jsonObject(with: Data(want.out.utf8)))
                #expect(a == b, "\(path) differs from the imported history:\n\(got.body.prefix(2000))\n\(want.out.prefix(2000))")
            }
        }
        #expect(try server.stop() == 0)
        #expect(try ledger(["verify", "--store", store]).status == 0)
    }

    /// `value` without `position` fields, with times as instants.
    func comparable(_ value: Any) -> NSObject {
        switch value {
        case let object as [String: Any]:
            var copy: [String: Any] = [:]
            for (k, v) in object where k != "position" { copy[k] = comparable(v) }
            return copy as NSDictionary
        case let list as [Any]: return list.map(comparable) as NSArray
        case let text as String where text.count >= 20 && text.dropFirst(10).first == "T":
            return parseTime(text).map { NSNumber(value: $0.timeIntervalSince1970) } ?? (text as NSString)
        default: return value as? NSObject ?? NSNull()
        }
    }

    /// The history split into events and webhooks, and the reference trace.
    struct Conversion {
        enum Step { case event(String), vonage(String), infobip(String) }
        var steps: [Step] = []
        var reference: [String] = []
        var campaigns: [String] = []
        var vonage = 0, infobip = 0, duplicates = 0, parkedFirst = 0

        static let vonageStatus = ["sent": "submitted", "delivered": "delivered", "read": "read", "sending_failed": "rejected", "delivery_failed": "undeliverable"]
        static let infobipGroup = ["delivered": "DELIVERED", "sending_failed": "REJECTED", "delivery_failed": "UNDELIVERABLE"]

        init(_ lines: [String]) throws {
            let events = try lines.map { try object($0) }
            var channel: [String: String] = [:]
            // The message ids an event (not a webhook) records, SMS `sent` reports with providerRef.
            var recordedBy: [String: Int] = [:]
            for (i, e) in events.enumerated() {
                if e["type"] as? String == "campaign.created", let c = e["campaign"] as? String {
                    channel[c] = e["channel"] as? String
                    campaigns.append(c)
                }
                if e["type"] as? String == "contact.status", e["status"] as? String == "sent",
                    let c = e["campaign"] as? String, channel[c] == "sms", let ref = e["providerRef"] as? String, recordedBy[ref] == nil
                {
                    recordedBy[ref] = i
                }
            }
            var seen = Set<String>()
            var recorded = Set<String>()
            for (i, e) in zip(lines.indices, events) {
                let line = lines[i]
                guard e["type"] as? String == "contact.status", let campaign = e["campaign"] as? String,
                    let contact = e["contact"] as? String, let status = e["status"] as? String,
                    let ref = e["providerRef"] as? String, let at = e["at"] as? String
                else {
                    steps.append(.event(line)); reference.append(line); continue
                }
                let code = e["code"] as? String, reason = e["reason"] as? String
                let key = ref + "\u{0}" + status
                if channel[campaign] == "whatsapp", let value = Self.vonageStatus[status], (code == nil) == (reason == nil) {
                    var clientRef = Providers.correlation(campaign, contact)
                    if let attempt = e["attempt"] as? Int { clientRef += "/\(attempt)" }
                    let body = Vonage.status(
                        uuid: ref, status: value, timestamp: at, clientRef: clientRef,
                        errorTitle: code.map(escaped), errorDetail: reason.map(escaped))
                    steps.append(.vonage(body)); vonage += 1
                    if seen.insert(key).inserted { reference.append(line) } else { duplicates += 1 }
                } else if channel[campaign] == "sms", recordedBy[ref] != nil, recordedBy[ref] != i,
                    Self.infobipGroup[status] != nil || status == "read", code == nil || Int(code!) != nil, (code == nil) == (reason == nil)
                {
                    let body: String
                    if status == "read" {
                        body = Infobip.body([Infobip.seen(messageId: ref, seenAt: try infobipTime(at))])
                    } else {
                        body = Infobip.body([Infobip.report(
                            messageId: ref, group: Self.infobipGroup[status]!, doneAt: try infobipTime(at),
                            errorId: code.flatMap { Int($0) } ?? 0, errorName: reason.map(escaped) ?? "NO_ERROR")])
                    }
                    steps.append(.infobip(body)); infobip += 1
                    let first = seen.insert(key).inserted
                    if first { reference.append(line) }
                    // Before the sender's event: parked (again, if retried); after: appended or a duplicate.
                    if !recorded.contains(ref) { parkedFirst += 1 } else if !first { duplicates += 1 }
                } else {
                    steps.append(.event(line)); reference.append(line)
                    if recordedBy[ref] == i { recorded.insert(ref) }
                }
            }
        }
    }
}

/// Text for inside a JSON string.
private func escaped(_ text: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [text])
    let quoted = String(decoding: data, as: UTF8.self)
    return String(quoted.dropFirst(2).dropLast(2))
}

/// Infobip's time format: `2026-01-05T09:31:00.000+0000`.
private func infobipTime(_ at: String) throws -> String {
    let date = try #require(parseTime(at), "not an RFC 3339 time: \(at)")
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'+0000'"
    return f.string(from: date)
}
