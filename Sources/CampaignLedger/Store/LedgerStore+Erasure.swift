import Foundation
import LMDB

/// Erasure of a contact's address (docs/erasure.md). The hash chain covers the address's digest,
/// SHA-256(salt ‖ address), not the address, so the `contact.added` record can lose the address
/// and its salt while every hash stays as it was.
extension LedgerStore {
    /// Removes the address and its salt of (campaign, contact) from its `contact.added` record,
    /// keeping the digest and whether the address was dialable, and drops the parked callbacks
    /// that hold the address. Returns how many were dropped. Called in the transaction that
    /// writes the contact's `contact.forgotten`; a record already erased (a restored export)
    /// is left as it is.
    func eraseAddress(campaign: String, contact: String, _ txn: borrowing Transaction) throws -> Int {
        guard let first = try streamEnd(campaign: campaign, contact: contact, last: false, txn) else {
            throw LedgerError.corrupted("contact \(contact) of campaign \(campaign) has no events to erase")
        }
        let key = first.bigEndianBytes
        let recorded = try Self.decodeRecord(at: first, txn, layout)
        guard recorded.event.type == .contactAdded else {
            throw LedgerError.corrupted("the first event of contact \(contact) of campaign \(campaign) (position \(first)) is not its contact.added")
        }
        guard let address = recorded.event.address else { return 0 }
        var erased = recorded
        erased.event.address = nil
        erased.addressSalt = nil
        erased.event.erasedAddress = ErasedAddress(address: address, salt: recorded.addressSalt ?? [])
        guard ExportLine.canonicalBytes(erased) == ExportLine.canonicalBytes(recorded) else {
            throw LedgerError.corrupted("erasing the address at position \(first) would change its canonical bytes")
        }
        try txn.put(layout.events, key, EventRecord.encode(erased, version: 2))
        return try dropParked(holding: Self.addressForms(address), txn)
    }

    /// The event at `position`, decoded (an error names a missing or damaged record).
    static func decodeRecord(at position: UInt64, _ txn: borrowing Transaction, _ layout: StoreLayout) throws -> RecordedEvent {
        try position.bigEndianBytes.withUnsafeBytes { key in
            guard let bytes = try txn.get(layout.events, key) else {
                throw LedgerError.corrupted("position \(position) has no event")
            }
            do {
                return try EventRecord.decode(bytes)
            } catch {
                throw LedgerError.corrupted("the event at position \(position) does not decode (\(error))")
            }
        }
    }

    /// Deletes the parked callbacks whose stored bytes hold one of `forms`; returns how many.
    func dropParked(holding forms: [[UInt8]], _ txn: borrowing Transaction) throws -> Int {
        guard let db = layout.parked, !forms.isEmpty else { return 0 }
        var doomed: [[UInt8]] = []
        try txn.forEach(db) { key, value in
            if forms.contains(where: { Self.contains(value, $0) || Self.contains(key, $0) }) { doomed.append(Array(key)) }
            return true
        }
        for key in doomed { _ = try txn.delete(db, key) }
        return doomed.count
    }

    /// The byte sequences an address may appear as elsewhere: as given, and its digits alone
    /// (a provider sends `+49 170 1234567` as `491701234567`) when there are at least 6.
    package static func addressForms(_ address: String) -> [[UInt8]] {
        let given = Array(address.utf8)
        let digits = given.filter { (0x30...0x39).contains($0) }
        var forms: [[UInt8]] = []
        if !given.isEmpty { forms.append(given) }
        if digits.count >= 6, digits != given { forms.append(digits) }
        return forms
    }

    /// Whether `haystack` holds `needle` as a byte sequence.
    package static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count, let base = haystack.baseAddress else { return false }
        return needle.withUnsafeBytes { n in
            let first = Int32(n[0])
            var at = 0
            let last = haystack.count - n.count
            while at <= last {
                guard let hit = memchr(base + at, first, last - at + 1) else { return false }
                at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, n.baseAddress!, n.count) == 0 { return true }
                at += 1
            }
            return false
        }
    }

    /// Every contact's `contact.added` (the first event of each contact stream), in key order:
    /// `body` gets its position and record, and returns false to stop.
    func forEachContactAdded(_ txn: borrowing Transaction, _ body: (UInt64, RecordedEvent) throws -> Bool) throws {
        var positions: [UInt64] = []
        try txn.withCursor(layout.contactStreams) { cursor in
            var entry = try cursor.first()
            while let (_, value) = entry {
                if let p = UInt64(bigEndianBytes: value) { positions.append(p) }
                entry = try cursor.nextKey()
            }
        }
        for p in positions.sorted() {
            guard try body(p, try Self.decodeRecord(at: p, txn, layout)) else { return }
        }
    }
}
