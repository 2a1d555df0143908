import LMDB

/// The `providerRef` index (`b<N>.refs` of every built-in build, docs/format.md): provider
/// message id → the campaign, contact and attempt of the first `contact.status` event that
/// recorded it. Maintained inline by every append like the other projections, folded again by
/// `ledger rebuild`; provider callbacks without correlation data find their contact through it
/// (http.md §3).
///
/// Key: the message id's UTF-8 bytes (1–256). Value: len(campaign) u8 ‖ campaign ‖
/// len(contact) u8 ‖ contact ‖ attempt u32 BE.
enum ProviderRefs {
    struct Target: Sendable, Hashable {
        var campaign: String
        var contact: String
        var attempt: Int
    }

    static func encode(_ t: Target) -> [UInt8] {
        encode(campaign: t.campaign.utf8, contact: t.contact.utf8, attempt: t.attempt)
    }

    /// The value from the ids' UTF-8 bytes (a rebuild reads them in place from the records).
    static func encode(campaign: some Collection<UInt8>, contact: some Collection<UInt8>, attempt: Int) -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(campaign.count + contact.count + 6)
        value.append(UInt8(campaign.count))
        value.append(contentsOf: campaign)
        value.append(UInt8(contact.count))
        value.append(contentsOf: contact)
        value.append(contentsOf: UInt32(attempt).bigEndianBytes)
        return value
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
