import Foundation
import LMDB
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

/// Tampering (DESIGN.md §7): someone with write access to the LMDB file changes a
/// byte of an event, deletes one, or swaps two; `verify` must fail and name the first position
/// that no longer holds. Each test edits the `events` database directly through LMDB, as an
/// attacker with `mdb_load` or Python's `lmdb` would.
@Suite struct TamperTests {
    /// A realistic store of a few hundred events; returns its path and head position.
    static func store() throws -> (path: String, head: UInt64) {
        let path = newStorePath()
        var lines: [String] = []
        HistoryGenerator(seed: 5, campaigns: 2, contactsPerCampaign: 15).generate { lines.append($0) }
        let ledger = try Ledger(.init(path: path))
        try ledger.importLines(jsonl(lines))
        let report = try ledger.verify()
        #expect(report.isOK, "\(report.problems)")
        return (path, try ledger.head().position)
    }

    /// Runs `edit` in a write transaction on the `events` database (or another one) of the store at `path`
    /// (no `Ledger` of it is open then), then verifies the store with a fresh `Ledger`.
    static func tamper(
        _ path: String, database: String = "events", _ edit: (borrowing Transaction, Database) throws -> Void
    ) throws -> VerifyReport {
        do {
            let env = try Environment.open(path: path)
            let db = try env.openDatabases([database], create: false)[0]
            try env.write { txn in try edit(txn, db) }
        }
        let ledger = try Ledger(.init(path: path))
        // The chain walk reads in chunks of short transactions: small chunks put boundaries
        // everywhere; the answer must not depend on them.
        let report = try ledger.verify(checkpoint: nil, progress: nil, chunk: 7)
        #expect(try ledger.verify().problems == report.problems)
        return report
    }

    static func key(_ position: UInt64) -> [UInt8] { position.bigEndianBytes }

    static func firstEntry(_ txn: borrowing Transaction, _ db: Database) throws -> (key: [UInt8], value: [UInt8])? {
        var first: (key: [UInt8], value: [UInt8])?
        try txn.forEach(db) { key, value in
            first = (Array(key), Array(value))
            return false
        }
        return first
    }

    @Test(arguments: [0, 1, 2, 9, 30, 50, 58, 60, 70])
    func aChangedByteAnywhereInARecordIsNamed(offset: Int) throws {
        let (path, head) = try Self.store()
        let target = head / 2
        let report = try Self.tamper(path) { txn, events in
            var bytes = try #require(try txn.get(events, Self.key(target)))
            let at = min(offset, bytes.count - 1)
            bytes[at] ^= 0x01
            try txn.put(events, Self.key(target), bytes)
        }
        #expect(!report.isOK)
        #expect(report.problems.first?.position == target, "\(report.problems)")
    }

    @Test(arguments: ["first", "middle", "last"])
    func aDeletedEventIsNamed(which: String) throws {
        let (path, head) = try Self.store()
        let target: UInt64 = switch which {
        case "first": 1
        case "last": head
        default: head / 3
        }
        let report = try Self.tamper(path) { txn, events in
            let deleted = try txn.delete(events, Self.key(target))
            #expect(deleted)
        }
        #expect(!report.isOK)
        #expect(report.problems.first?.position == target, "\(which): \(report.problems)")
        let says = which == "last" ? "were deleted" : "missing"
        #expect(report.problems.first?.message.contains(says) == true, "\(which): \(report.problems)")
    }

    /// Deleting an event and renumbering every later one (rewriting their keys and the position
    /// inside each record) leaves no gap, but the chain breaks at the deleted position.
    @Test func aDeletedAndRenumberedEventIsNamed() throws {
        let (path, head) = try Self.store()
        let target = head / 2
        let report = try Self.tamper(path) { txn, events in
            var later: [RecordedEvent] = []
            for p in (target + 1)...head { later.append(try EventRecord.decode(try #require(try txn.get(events, Self.key(p))))) }
            try txn.delete(events, Self.key(head))
            for var r in later {
                r.position -= 1
                try txn.put(events, Self.key(r.position), EventRecord.encode(r))
            }
        }
        #expect(!report.isOK)
        #expect(report.problems.first?.position == target, "\(report.problems)")
    }

    /// Two events swapped: their values exchanged under the two keys.
    @Test func twoSwappedEventsAreNamed() throws {
        let (path, head) = try Self.store()
        let (a, b) = (head / 4, head / 2)
        let report = try Self.tamper(path) { txn, events in
            let va = try #require(try txn.get(events, Self.key(a)))
            let vb = try #require(try txn.get(events, Self.key(b)))
            try txn.put(events, Self.key(a), vb)
            try txn.put(events, Self.key(b), va)
        }
        #expect(!report.isOK)
        #expect(report.problems.first?.position == a, "\(report.problems)")
        #expect(report.problems.map(\.position).contains(b), "\(report.problems)")
    }

    /// Two events swapped and each record's position rewritten to match its new key, so the
    /// records look in place: only the chain shows it.
    @Test func twoSwappedAndRenumberedEventsAreNamed() throws {
        let (path, head) = try Self.store()
        let (a, b) = (head / 4, head / 4 + 1)
        let report = try Self.tamper(path) { txn, events in
            var ra = try EventRecord.decode(try #require(try txn.get(events, Self.key(a))))
            var rb = try EventRecord.decode(try #require(try txn.get(events, Self.key(b))))
            swap(&ra.position, &rb.position)
            try txn.put(events, Self.key(ra.position), EventRecord.encode(ra))
            try txn.put(events, Self.key(rb.position), EventRecord.encode(rb))
        }
        #expect(!report.isOK)
        #expect(report.problems.first?.position == a, "\(report.problems)")
    }

    /// The indexes are checked against the log entry by entry (no copy of them in memory): an
    /// entry moved, removed or invented is found, named by position where it has one.
    @Test func aTamperedIndexEntryIsFound() throws {
        let (path, head) = try Self.store()
        // An event id's entry moved to another event.
        var report = try Self.tamper(path, database: "ids") { txn, ids in
            let (digest, position) = try #require(try Self.firstEntry(txn, ids))
            #expect(try txn.delete(ids, digest, value: position))
            try txn.put(ids, digest, Self.key(head / 2))
        }
        #expect(report.problems.contains { $0.position == head / 2 && $0.message.contains("another id") }, "\(report.problems)")

        // A campaign stream entry removed: one event without its entry.
        let (path2, _) = try Self.store()
        report = try Self.tamper(path2, database: "campaign_positions") { txn, streams in
            let (campaign, position) = try #require(try Self.firstEntry(txn, streams))
            #expect(try txn.delete(streams, campaign, value: position))
        }
        #expect(report.problems.contains { $0.message.contains("`campaign_positions` has") }, "\(report.problems)")

        // A contact stream entry invented for an event of another contact.
        let (path3, head3) = try Self.store()
        report = try Self.tamper(path3, database: "contact_positions") { txn, streams in
            let (contact, _) = try #require(try Self.firstEntry(txn, streams))
            try txn.put(streams, contact, Self.key(head3 - 1))
        }
        #expect(report.problems.contains { $0.position == head3 - 1 && $0.message.contains("does not match") }, "\(report.problems)")
        #expect(report.problems.contains { $0.message.contains("`contact_positions` has") }, "\(report.problems)")
    }
}
