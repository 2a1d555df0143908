import Foundation
@testable import CampaignLedger

/// A fresh ledger in a new temporary directory.
func makeLedger() throws -> Ledger {
    try Ledger(.init(path: newStorePath()))
}

func newStorePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ledger-test-\(UUID().uuidString)").path
}

/// Parses one JSON line as a user would give it.
func event(_ json: String) throws -> Event {
    let bytes = Array(json.utf8)
    guard let parsed = try bytes.withUnsafeBytes({ try EventLineParser.parse($0) }) else {
        throw LedgerError.usage("blank line")
    }
    return parsed.event
}

/// JSON Lines bytes from lines.
func jsonl(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

/// A small, valid WhatsApp campaign: created, two contacts, started.
let campaignStart = [
    #"{"id":"e1","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z","name":"Spring"}"#,
    #"{"id":"e2","type":"contact.added","campaign":"spring","contact":"c1","address":"+420 601 234 567","at":"2026-11-20T08:00:01Z"}"#,
    #"{"id":"e3","type":"contact.added","campaign":"spring","contact":"c2","address":"(415) 286-0129","at":"2026-11-20T08:00:02Z"}"#,
    #"{"id":"e4","type":"campaign.started","campaign":"spring","at":"2026-11-20T08:01:00Z"}"#,
]
