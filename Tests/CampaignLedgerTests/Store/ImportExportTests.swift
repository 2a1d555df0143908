import Foundation
import LMDB
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

@Suite struct ImportExportTests {
    let history = campaignStart + [
        #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z","providerRef":"wamid.A"}"#,
        #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T08:03:01.5+01:00","meta":{"b": [1, 2], "a":"x"}}"#,
        #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z","providerRef":"wamid.A"}"#,
        #"{"id":"w9","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","at":"2026-11-20T08:04:00Z","code":"131026","reason":"Message undeliverable"}"#,
        #"{"id":"w9","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","at":"2026-11-20T08:04:00Z","code":"131026","reason":"Message undeliverable"}"#,
        "",
        #"{"type":"campaign.finished","campaign":"spring","at":"2026-11-21T08:00:00Z"}"#,
    ]

    @Test func reimportingAFileAppendsNothing() throws {
        let ledger = try makeLedger()
        let first = try ledger.importLines(jsonl(history))
        #expect(first.appended == 9)  // two identical lines without id stay distinct; w9 twice is one event
        #expect(first.duplicates == 1)
        let again = try ledger.importLines(jsonl(history))
        #expect(again.appended == 0)
        #expect(again.duplicates == 10)
        #expect(try ledger.head().position == 9)
    }

    @Test func insertingOtherLinesChangesNoDerivedID() throws {
        let a = try makeLedger()
        try a.importLines(jsonl(history))
        let b = try makeLedger()
        var longer = history
        longer.insert(#"{"type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234999","at":"2026-11-20T08:00:03Z"}"#, at: 3)
        try b.importLines(jsonl(longer))
        let idsA = Set(try a.events(from: 1).compactMap(\.event.id))
        let idsB = Set(try b.events(from: 1).compactMap(\.event.id))
        #expect(idsA.isSubset(of: idsB))
        #expect(idsB.count == idsA.count + 1)
    }

    @Test func skipInvalidLosesNoLine() throws {
        let ledger = try makeLedger()
        var lines = history
        lines.insert(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"bogus","at":"2026-11-20T08:02:00Z"}"#, at: 4)
        lines.insert("not json", at: 2)
        let summary = try ledger.importLines(jsonl(lines), options: ImportOptions(skipInvalid: true))
        #expect(summary.rejected.map(\.line) == [3, 6])
        #expect(summary.rejected.map { String(decoding: $0.text, as: UTF8.self) } == ["not json", lines[5]])
        #expect(summary.appended + summary.duplicates + summary.rejected.count == lines.filter { !$0.isEmpty }.count)
    }

    @Test func allOrNothingReportsEveryBadLine() throws {
        let ledger = try makeLedger()
        var lines = history
        lines.append(#"{"type":"campaign.started","campaign":"spring","at":"2026-11-22T08:00:00Z"}"#)
        lines.insert(#"{"type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-02-30T08:02:00Z"}"#, at: 5)
        let summary = try ledger.importLines(jsonl(lines))
        #expect(summary.rejected.map(\.line) == [6, 13])
        #expect(summary.rejected.map(\.field) == ["at", "type"])
        #expect(summary.appended == 0)
        #expect(try ledger.head().position == 0)
    }

    @Test func dryRunAppendsNothing() throws {
        let ledger = try makeLedger()
        let summary = try ledger.importLines(jsonl(history), options: ImportOptions(dryRun: true))
        #expect(summary.rejected.isEmpty)
        #expect(try ledger.head().position == 0)
    }

    @Test func exportImportExportGivesTheSameLines() throws {
        let a = try makeLedger()
        try a.importLines(jsonl(history))
        let first = try exportLines(a)
        let b = try makeLedger()
        let summary = try b.importLines(Array(first.joined().utf8))
        #expect(summary.rejected.isEmpty, "\(summary.rejected)")
        #expect(summary.appended == 9)
        let second = try exportLines(b)
        #expect(first.map(withoutAssigned) == second.map(withoutAssigned))
        #expect(try a.campaignJSON("spring")["metrics"] == b.campaignJSON("spring")["metrics"])
    }

    @Test func verifyPassesThenDetectsOneChangedByte() throws {
        let path = newStorePath()
        do {
            let ledger = try Ledger(.init(path: path))
            try ledger.importLines(jsonl(history))
            let report = try ledger.verify()
            #expect(report.isOK, "\(report.problems)")
            #expect(report.head.position == 9)
        }
        // Change one byte of the stored event at position 8 (inside its reason text).
        let env = try Environment.open(path: path)
        let events = try env.openDatabases(["events"], create: false)[0]
        try env.write { txn in
            var bytes = try txn.get(events, UInt64(8).bigEndianBytes)!
            let needle = Array("undeliverable".utf8)
            let at = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }!
            bytes[at] ^= 0x20
            try txn.put(events, UInt64(8).bigEndianBytes, bytes)
        }
        let report = try Ledger(.init(path: path)).verify()
        #expect(!report.isOK)
        #expect(report.problems.first?.position == 8, "\(report.problems)")
    }

    @Test func verifyChecksAPublishedCheckpoint() throws {
        let ledger = try makeLedger()
        try ledger.importLines(jsonl(Array(history.prefix(5))))
        let published = try ledger.head()
        try ledger.importLines(jsonl(history))
        #expect(try ledger.verify(checkpoint: (published.position, published.hash)).isOK)
        #expect(try ledger.verify(checkpoint: (published.position, published.hash), progress: nil, chunk: 2).isOK)
        var wrong = published.hash
        wrong[0] ^= 1
        let report = try ledger.verify(checkpoint: (published.position, wrong))
        #expect(report.problems.map(\.position) == [published.position])
    }

    @Test func badInputNeverCrashesTheImporter() throws {
        let ledger = try makeLedger()
        let good = campaignStart[0]
        var bad: [[UInt8]] = [
            Array("{".utf8), Array("[]".utf8), Array("null".utf8), Array(#"{"type":1}"#.utf8),
            Array(#"{"type":"contact.status","campaign":"","at":"x"}"#.utf8),
            [0xFF, 0xFE, 0x7B, 0x7D], [0xEF, 0xBB, 0xBF] + Array(good.utf8),
            Array(#"{"type":"campaign.created","campaign":"x","channel":"sms","at":"2026-11-20T08:00:00Z","meta":"#.utf8)
                + Array(repeating: UInt8(ascii: "["), count: 100_000),
            Array(#"{"type":"campaign.created","campaign":"\#(String(repeating: "a", count: 200_000))","channel":"sms","at":"2026-11-20T08:00:00Z"}"#.utf8),
            Array(#"{"type":"campaign.created","campaign":"x","channel":"sms","at":"2026-11-20T08:00:00Z","attempt":1e999999}"#.utf8),
            Array(#"{"type":"contact.status","campaign":"x","contact":"k","status":"sent","at":"2026-11-20T08:00:00Z","attempt":99999999999999999999999}"#.utf8),
            Array(#"{"type":"campaign.created","campaign":"\ud800","channel":"sms","at":"2026-11-20T08:00:00Z"}"#.utf8),
            Array(repeating: UInt8(ascii: " "), count: 10),
        ]
        // Truncations of a good line at every length.
        for n in 1..<good.utf8.count { bad.append(Array(good.utf8.prefix(n))) }
        var data: [UInt8] = []
        for line in bad { data += line + [0x0A] }
        let summary = try ledger.importLines(data, options: ImportOptions(skipInvalid: true))
        // Only the campaign.created line with a huge `attempt` is valid: a field its type does
        // not use is ignored, not validated (interchange.md §1). The line of spaces is blank.
        #expect(summary.appended == 1)
        #expect(summary.rejected.count == bad.count - 2)
        #expect(try ledger.head().position == 1)
    }
}

@Suite struct RestoreTests {
    func exported() throws -> (Ledger, [String]) {
        let ledger = try makeLedger()
        var lines: [String] = []
        HistoryGenerator(seed: 11, campaigns: 3, contactsPerCampaign: 20).generate { lines.append($0) }
        try ledger.importLines(jsonl(lines))
        var out: [String] = []
        try ledger.export { out.append($0) }
        return (ledger, out)
    }

    @Test func restoreKeepsPositionsTimesAndHashes() throws {
        let (original, export) = try exported()
        let restored = try makeLedger()
        let summary = try restored.importLines(Array(export.joined().utf8), options: ImportOptions(restore: true))
        #expect(summary.rejected.isEmpty, "\(summary.rejected.prefix(2))")
        #expect(summary.stoppedAt == nil)
        var again: [String] = []
        try restored.export { again.append($0) }
        #expect(again == export)
        #expect(try restored.head() == original.head())
        #expect(try restored.verify().isOK)
        // Only into an empty store.
        #expect(throws: LedgerError.self) {
            try restored.importLines(Array(export.joined().utf8), options: ImportOptions(restore: true))
        }
    }

    @Test func restoreRefusesAGapAndAMismatch() throws {
        let (_, export) = try exported()
        var gap = export
        gap.remove(at: 5)
        let a = try makeLedger()
        let s1 = try a.importLines(Array(gap.joined().utf8), options: ImportOptions(restore: true))
        #expect(s1.rejected.first?.line == 6)
        #expect(s1.rejected.first?.field == "position")
        #expect(try a.head().position == 0)

        var tampered = export
        tampered[7] = tampered[7].replacingOccurrences(of: #""at":"2026-"#, with: #""at":"2027-"#)
        #expect(tampered[7] != export[7])
        let b = try makeLedger()
        let s2 = try b.importLines(Array(tampered.joined().utf8), options: ImportOptions(restore: true))
        #expect(s2.stoppedAt?.line == 8)
        #expect(s2.stoppedAt?.field == "hash")
        #expect(try b.head().position == 0, "the batch with the mismatch is not committed")
    }
}
