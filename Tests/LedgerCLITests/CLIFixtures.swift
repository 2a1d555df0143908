import Foundation
import Testing

/// A small, realistic import file. Every expected value in the tests is worked out by hand from
/// domain.md / interchange.md, in the comments here and next to the expectations.
///
/// Campaigns:
/// - `spring` (whatsapp, "Spring promo"): c1 sent → delivered (+2 s) → read (+61 s);
///   c2 sent → delivery_failed with code 131026 (that line is sent twice: the second copy, with the
///   same id, is a duplicate); c3 sent, then, after `campaign.finished`, a late `delivered`
///   (+86 400 s); c4 has an address with letters (→ invalid_record); c5 is removed before the start.
/// - `calls` (telephone): t1 calling → call_in_progress → success; t2 calling, dial_failed (code
///   busy), retry_scheduled (→ attempt 2), calling, canceled_by_client; t3 never dialed; then paused.
/// - `reminders` (sms): r1 only queued: every rate has a zero denominator.
///
/// 35 lines, 34 appended (line 23 is the duplicate). Line n is position n up to 22, n − 1 after 23.
enum Fixture {
    static let lines: [String] = [
        /* 1 */ #"{"type":"campaign.created","campaign":"spring","channel":"whatsapp","name":"Spring promo","at":"2026-11-20T08:00:00Z","actor":"admin:alice"}"#,
        /* 2 */ #"{"type":"campaign.created","campaign":"calls","channel":"telephone","at":"2026-11-20T08:00:00Z"}"#,
        /* 3 */ #"{"type":"campaign.created","campaign":"reminders","channel":"sms","name":"Reminders","at":"2026-11-20T08:00:00Z"}"#,
        /* 4 */ #"{"type":"contact.added","campaign":"spring","contact":"c1","address":"+420601234567","at":"2026-11-20T08:01:00Z"}"#,
        /* 5 */ #"{"type":"contact.added","campaign":"spring","contact":"c2","address":"+420601234568","at":"2026-11-20T08:01:00Z"}"#,
        /* 6 */ #"{"type":"contact.added","campaign":"spring","contact":"c3","address":"+420 601 234 569","at":"2026-11-20T09:01:00.5+01:00"}"#,
        /* 7 */ #"{"type":"contact.added","campaign":"spring","contact":"c4","address":"call me maybe","at":"2026-11-20T08:01:00Z"}"#,
        /* 8 */ #"{"type":"contact.added","campaign":"spring","contact":"c5","address":"+420601234570","at":"2026-11-20T08:01:00Z"}"#,
        /* 9 */ #"{"type":"contact.removed","campaign":"spring","contact":"c5","at":"2026-11-20T08:05:00Z","reason":"opted out by phone","actor":"admin:alice"}"#,
        /* 10 */ #"{"type":"contact.added","campaign":"calls","contact":"t1","address":"+420777000001","at":"2026-11-20T08:02:00Z"}"#,
        /* 11 */ #"{"type":"contact.added","campaign":"calls","contact":"t2","address":"+420777000002","at":"2026-11-20T08:02:00Z"}"#,
        /* 12 */ #"{"type":"contact.added","campaign":"calls","contact":"t3","address":"+420777000003","at":"2026-11-20T08:02:00Z"}"#,
        /* 13 */ #"{"type":"contact.added","campaign":"reminders","contact":"r1","address":"+420608000001","at":"2026-11-20T08:03:00Z"}"#,
        /* 14 */ #"{"type":"campaign.started","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#,
        /* 15 */ #"{"type":"campaign.started","campaign":"calls","at":"2026-11-20T09:00:00Z"}"#,
        /* 16 */ #"{"type":"campaign.started","campaign":"reminders","at":"2026-11-20T09:00:00Z"}"#,
        /* 17 */ #"{"id":"wh-1","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","providerRef":"wamid.A1","at":"2026-11-20T09:00:01Z"}"#,
        /* 18 */ #"{"id":"wh-2","type":"contact.status","campaign":"spring","contact":"c2","status":"sent","providerRef":"wamid.B2","at":"2026-11-20T09:00:02Z"}"#,
        /* 19 */ #"{"id":"wh-3","type":"contact.status","campaign":"spring","contact":"c3","status":"sent","providerRef":"wamid.C3","at":"2026-11-20T09:00:02Z"}"#,
        /* 20 */ #"{"id":"wh-4","type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","at":"2026-11-20T09:00:03Z"}"#,
        /* 21 */ #"{"id":"wh-5","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","code":"131026","reason":"Message undeliverable","providerRef":"wamid.B2","at":"2026-11-20T09:00:05Z"}"#,
        /* 22 */ #"{"id":"wh-6","type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T09:01:02Z"}"#,
        /* 23 */ #"{"id":"wh-5","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","code":"131026","reason":"Message undeliverable","providerRef":"wamid.B2","at":"2026-11-20T09:00:05Z"}"#,
        /* 24 */ #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"calling","at":"2026-11-20T09:01:00Z","actor":"dialer"}"#,
        /* 25 */ #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"call_in_progress","at":"2026-11-20T09:01:10Z","actor":"dialer"}"#,
        /* 26 */ #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"success","at":"2026-11-20T09:03:00Z","actor":"operator:bob"}"#,
        /* 27 */ #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"calling","at":"2026-11-20T09:02:00Z","actor":"dialer"}"#,
        /* 28 */ #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"dial_failed","code":"busy","reason":"Line Busy Signal Heard","at":"2026-11-20T09:02:30Z","actor":"dialer"}"#,
        /* 29 */ #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"retry_scheduled","at":"2026-11-20T09:10:00Z","actor":"dialer"}"#,
        /* 30 */ #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"calling","at":"2026-11-20T09:30:00Z","actor":"dialer"}"#,
        /* 31 */ #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"canceled_by_client","at":"2026-11-20T09:30:20Z","actor":"dialer"}"#,
        /* 32 */ #"{"type":"contact.status","campaign":"reminders","contact":"r1","status":"queued","at":"2026-11-20T09:05:00Z"}"#,
        /* 33 */ #"{"type":"campaign.finished","campaign":"spring","at":"2026-11-20T10:00:00Z","actor":"provider:whatsapp"}"#,
        /* 34 */ #"{"id":"wh-7","type":"contact.status","campaign":"spring","contact":"c3","status":"delivered","at":"2026-11-21T09:00:02Z"}"#,
        /* 35 */ #"{"type":"campaign.paused","campaign":"calls","at":"2026-11-20T09:40:00Z","actor":"admin:alice"}"#,
    ]

    static var text: String { lines.joined(separator: "\n") + "\n" }

    /// Events appended by the fixture (35 lines, one duplicate).
    static let appended = 34
    /// The position of the `dial_failed` line (28) whose reason the tamper test flips.
    static let dialFailedPosition = 27
    static let tamperText = "Line Busy Signal Heard"
    /// Positions of the `reminders` events: lines 3, 13, 16 and 32 (→ 31).
    static let reminderPositions: [Int] = [3, 13, 16, 31]

    /// A store with the fixture imported, in a fresh temporary directory.
    static func importedStore() throws -> (TempDir, String) {
        let dir = try TempDir()
        let file = try dir.write("history.jsonl", text)
        let store = dir.at("store")
        let r = try CLI.run(["import", file], store: store)
        guard r.status == 0 else { throw FixtureError.importFailed(r.description) }
        return (dir, store)
    }

    enum FixtureError: Error { case importFailed(String) }
}
