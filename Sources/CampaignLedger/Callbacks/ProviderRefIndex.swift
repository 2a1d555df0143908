import LMDB

/// The `providerRef` index: provider message id → the campaign, contact and attempt of the
/// first event that recorded it. A projection like the others (builds with checkpoints,
/// maintained inline in the transaction of every append, folded again by
/// `ledger rebuild --projection provider-refs`), registered by every `Ledger`; provider
/// callbacks that carry no correlation data find their contact through it (http.md §3).
///
/// Key: the message id's UTF-8 bytes (1–256). Value: len(campaign) u8 ‖ campaign ‖
/// len(contact) u8 ‖ contact ‖ attempt u32 BE (docs/format.md).
struct ProviderRefIndex: LedgerProjection {
    static let name = "provider-refs"
    var name: String { Self.name }
    var version: Int { 1 }
    var rulesID: String { "provider-refs/1" }

    func apply(_ record: RecordedEvent, to state: inout ProjectionState) throws {
        let e = record.event
        guard e.type == .contactStatus, let ref = e.providerRef, let contact = e.contact else { return }
        let key = Array(ref.utf8)
        // The first event that records a message id names its contact: a later one (a
        // provider's callback repeating it) does not move it.
        guard try state.get(key) == nil else { return }
        try state.put(key, Self.encode(Target(campaign: e.campaign, contact: contact, attempt: e.attempt ?? 1)))
    }

    struct Target: Sendable, Hashable {
        var campaign: String
        var contact: String
        var attempt: Int
    }

    static func encode(_ t: Target) -> [UInt8] {
        [UInt8(t.campaign.utf8.count)] + Array(t.campaign.utf8) + [UInt8(t.contact.utf8.count)] + Array(t.contact.utf8)
            + UInt32(t.attempt).bigEndianBytes
    }

    static func decode(_ b: [UInt8]) -> Target? {
        guard let n = b.first, b.count >= 1 + Int(n) + 1 else { return nil }
        let campaign = String(decoding: b[1..<(1 + Int(n))], as: UTF8.self)
        let m = Int(b[1 + Int(n)])
        let start = 2 + Int(n)
        guard b.count == start + m + 4, let attempt = UInt32(bigEndianBytes: Array(b[(start + m)...])) else { return nil }
        return Target(campaign: campaign, contact: String(decoding: b[start..<(start + m)], as: UTF8.self), attempt: Int(attempt))
    }
}
