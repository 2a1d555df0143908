import LMDB

/// One campaign's records as one share of the bulk phase encoded them (each share encodes its
/// own campaigns, in parallel; `KeyOrderedRecords(campaign:)` merges a campaign's records of every
/// share): first its contacts (`encodeContacts`), then, separately, its timing entries
/// (`encodeTimings`), so a bulk phase can write every campaign's contacts before any campaign's
/// timings. Each of its arenas holds distinct keys in key order.
struct CampaignShareRecords: Sendable {
    var id: String
    /// The campaign's metrics counted from this share's contacts (nil in records that hold
    /// only timing entries).
    var aggregate: CampaignAggregate?
    var contacts: RecordArena
    var timings: RecordArena
    /// The sum of the fingerprint terms of its records, computed here, where shares are
    /// folded in parallel (a sum does not depend on the order).
    var fingerprint = Fingerprint()

    /// The contacts of one campaign of a fold that deferred its metrics, and its timing
    /// entries to encode later: each contact's contribution is counted here, once, from its
    /// final fold. Contacts are encoded in id order (the order of their keys). `writer` is
    /// scratch space.
    static func encodeContacts(
        _ entry: Projector.CampaignEntry, writer value: inout DomainByteWriter
    ) -> (CampaignShareRecords, PendingTimingEntries) {
        precondition(entry.aggregate.metrics.contacts == 0, "a bulk part counts the metrics of a deferring fold")
        let prefix = StoreLayout.campaignPrefix(entry.id)
        let family = entry.aggregate.family
        var pending = PendingTimingEntries(order: entry.ids.sortedSlots())
        var aggregate = entry.aggregate
        var fingerprint = Fingerprint()
        var contacts = RecordArena(reserving: pending.order.count * (prefix.count + 112), records: pending.order.count)
        for (rank, slot) in pending.order.enumerated() {
            let fold = Int(slot)
            value.removeAll()
            let contribution = entry.folds.withElement(fold) { fold in
                fold.encode(into: &value)
                return fold.contribution(family: family)
            }
            entry.ids.withIDBytes(fold) { id in
                value.withBytes { fingerprint.add(contacts.append(key: prefix, id, value: $0)) }
            }
            guard let t = contribution else { continue }
            aggregate.replace(nil, with: t)
            if let d = t.timeToDeliver { pending.entries.append((BuildStorage.TimingKind.deliver.rawValue, UInt64(d), Int32(rank))) }
            if let r = t.timeToRead { pending.entries.append((BuildStorage.TimingKind.read.rawValue, UInt64(r), Int32(rank))) }
        }
        let part = CampaignShareRecords(
            id: entry.id, aggregate: aggregate, contacts: contacts, timings: RecordArena(), fingerprint: fingerprint)
        return (part, pending)
    }

    /// The timing entries of a campaign whose contacts `encodeContacts` encoded (and `pending`
    /// came from), sorted by (kind, difference, contact): the order of their keys. Needs
    /// the campaign's ids, not its folds.
    static func encodeTimings(_ entry: Projector.CampaignEntry, _ pending: PendingTimingEntries) -> CampaignShareRecords {
        let prefix = StoreLayout.campaignPrefix(entry.id)
        let entries = pending.entries.sorted { ($0.kind, $0.nanos, $0.rank) < ($1.kind, $1.nanos, $1.rank) }
        var fingerprint = Fingerprint()
        var arena = RecordArena(reserving: entries.count * (prefix.count + 24), records: entries.count)
        var key = prefix
        for t in entries {
            key.removeSubrange(prefix.count...)
            key.append(t.kind)
            key += t.nanos.bigEndianBytes
            entry.ids.withIDBytes(Int(pending.order[Int(t.rank)])) { id in
                fingerprint.add(arena.append(key: key, id))
            }
        }
        return CampaignShareRecords(id: entry.id, aggregate: nil, contacts: RecordArena(), timings: arena, fingerprint: fingerprint)
    }

    /// A campaign's aggregate from its records of every share: their metrics merged (nil for
    /// records of timing entries alone).
    static func mergedAggregate(of runs: [CampaignShareRecords]) -> CampaignAggregate? {
        guard let first = runs[0].aggregate else { return nil }
        return runs.dropFirst().reduce(into: first) { total, run in run.aggregate.map { total.merge($0) } }
    }
}

/// A campaign's timing entries, collected by `CampaignShareRecords.encodeContacts` while it encodes
/// the contacts, for `encodeTimings` to encode later.
struct PendingTimingEntries: Sendable {
    /// (kind, difference, the contact's rank in `order`): the timing keys' order once
    /// sorted.
    var entries: [(kind: UInt8, nanos: UInt64, rank: Int32)] = []
    /// The contacts' slots in id order.
    var order: [Int32] = []
}
