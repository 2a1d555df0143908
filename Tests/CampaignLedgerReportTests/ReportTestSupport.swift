import Foundation
import CampaignLedger
@testable import CampaignLedgerReport

/// A fresh ledger holding `lines` (JSON Lines written by hand in the tests); fails the test when
/// a line is rejected, so a typo in a history cannot pass silently.
///
/// The store's directory is removed as soon as the ledger has it open: the ledger keeps its
/// files open and mapped, so it works on to the end of the test and leaves nothing behind.
func reportLedger(_ lines: [String]) throws -> Ledger {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-report-test-\(UUID().uuidString)").path
    let ledger = try Ledger(.init(path: path))
    try FileManager.default.removeItem(atPath: path)
    let summary = try ledger.importLines(Array((lines.joined(separator: "\n") + "\n").utf8))
    guard summary.rejected.isEmpty else {
        let first = summary.rejected[0]
        throw LedgerError.usage("test history line \(first.line) rejected: \(first.field): \(first.message)")
    }
    return ledger
}

/// 2026-12-01T12:00:00Z, so the page's generated-at is fixed.
let reportGeneratedAt: Int64 = 1_796_126_400_000_000

/// The ids of the page's `<section id="…">` elements, in order.
func sectionIDs(_ html: String) -> [String] {
    html.components(separatedBy: "<section id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
}

/// The text of one section, from its opening tag to its closing tag; "" when absent.
func section(_ html: String, _ id: String) -> String {
    guard let start = html.range(of: "<section id=\"\(id)\">") else { return "" }
    guard let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex) else { return "" }
    return String(html[start.lowerBound..<end.upperBound])
}

/// The value of every `name="…"` attribute in `text`, in order.
func attributeValues(_ name: String, in text: String) -> [String] {
    text.components(separatedBy: " \(name)=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
}

/// A WhatsApp campaign of four contacts (times by hand):
/// - c1: sent 09:00:05, delivered 09:00:07, read 09:01:06, a late second delivered at 10:00:00
/// - c2: sent 09:00:06, delivered 09:10:00
/// - c3: sent 09:00:07, read 09:30:00 (no delivered: Meta skips it when read at once)
/// - c4: sent 09:00:08, then failed ("Generic failure"), error and delivery_failed ("Message
///   undeliverable"), all with code 131026 → state delivery_failed
/// Started 09:00:00, finished the next day.
let whatsappHistory = [
    #"{"type":"campaign.created","campaign":"spring","channel":"whatsapp","name":"Spring promo","at":"2026-11-20T08:00:00Z"}"#,
    #"{"type":"contact.added","campaign":"spring","contact":"c1","address":"+420601234561","at":"2026-11-20T08:00:01Z"}"#,
    #"{"type":"contact.added","campaign":"spring","contact":"c2","address":"+420601234562","at":"2026-11-20T08:00:02Z"}"#,
    #"{"type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234563","at":"2026-11-20T08:00:03Z"}"#,
    #"{"type":"contact.added","campaign":"spring","contact":"c4","address":"+420601234564","at":"2026-11-20T08:00:04Z"}"#,
    #"{"type":"campaign.started","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T09:00:05Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c2","status":"sent","at":"2026-11-20T09:00:06Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c3","status":"sent","at":"2026-11-20T09:00:07Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c4","status":"sent","at":"2026-11-20T09:00:08Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","at":"2026-11-20T09:00:07Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c4","status":"failed","code":"131026","reason":"Generic failure","at":"2026-11-20T09:00:12Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c4","status":"error","code":"131026","reason":"Message undeliverable","at":"2026-11-20T09:00:15Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c4","status":"delivery_failed","code":"131026","reason":"Message undeliverable","at":"2026-11-20T09:00:20Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T09:01:06Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c2","status":"delivered","at":"2026-11-20T09:10:00Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c3","status":"read","at":"2026-11-20T09:30:00Z"}"#,
    #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"delivered","at":"2026-11-20T10:00:00Z"}"#,
    #"{"type":"campaign.finished","campaign":"spring","at":"2026-11-21T09:00:00Z"}"#,
]

/// A telephone campaign of three contacts, still sending:
/// - t1: calling 10:00:10, call_in_progress 10:00:30, acw 10:05:00, success 10:06:00
/// - t2: calling 10:01:00, unreachable 10:02:00 (code NO_ANSWER)
/// - t3: calling 10:02:00, call_in_progress 10:03:00, acw 10:04:00 (pending)
/// Paused at 10:02:30 and resumed at 10:02:45.
let telephoneHistory = [
    #"{"type":"campaign.created","campaign":"calls","channel":"telephone","name":"Call round","at":"2026-11-20T09:00:00Z"}"#,
    #"{"type":"contact.added","campaign":"calls","contact":"t1","address":"+420601000001","at":"2026-11-20T09:00:01Z"}"#,
    #"{"type":"contact.added","campaign":"calls","contact":"t2","address":"+420601000002","at":"2026-11-20T09:00:02Z"}"#,
    #"{"type":"contact.added","campaign":"calls","contact":"t3","address":"+420601000003","at":"2026-11-20T09:00:03Z"}"#,
    #"{"type":"campaign.started","campaign":"calls","at":"2026-11-20T10:00:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"calling","at":"2026-11-20T10:00:10Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"call_in_progress","at":"2026-11-20T10:00:30Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"calling","at":"2026-11-20T10:01:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t2","status":"unreachable","code":"NO_ANSWER","reason":"No answer after 3 attempts","at":"2026-11-20T10:02:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t3","status":"calling","at":"2026-11-20T10:02:00Z"}"#,
    #"{"type":"campaign.paused","campaign":"calls","at":"2026-11-20T10:02:30Z"}"#,
    #"{"type":"campaign.resumed","campaign":"calls","at":"2026-11-20T10:02:45Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t3","status":"call_in_progress","at":"2026-11-20T10:03:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t3","status":"acw","at":"2026-11-20T10:04:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"acw","at":"2026-11-20T10:05:00Z"}"#,
    #"{"type":"contact.status","campaign":"calls","contact":"t1","status":"success","at":"2026-11-20T10:06:00Z"}"#,
]
