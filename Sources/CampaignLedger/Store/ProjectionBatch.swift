import LMDB

/// Applies appended events to one build inside a write transaction (inline projection, catch-up
/// and rebuild chunks), keeping touched records in memory and writing each once when the batch
/// ends, with the build's checkpoint and fingerprint. Per event the work is O(1): the contact's
/// fold, its campaign's counters, at most two timing index entries — never a scan of the campaign.
final class ProjectionBatch {
    let build: BuildStorage
    private var info: BuildInfo
    /// Touched records with the bytes they had in the store (nil: new), for the fingerprint.
    /// Boxed, so that an event updates its records in place instead of copying them out of the
    /// dictionary and back (a copy of an aggregate's metrics on every event).
    private final class Touched<Record> {
        var record: Record
        let original: [UInt8]?
        init(_ record: Record, original: [UInt8]?) {
            self.record = record
            self.original = original
        }
        /// Works on the record in place (reading it through the box's property would copy it).
        func update<R>(_ body: (inout Record) throws -> R) rethrows -> R { try body(&record) }
    }
    private var campaigns: [String: Touched<CampaignAggregate>] = [:]
    private var contacts: [ContactIdentity: Touched<ContactFold>] = [:]

    init(build: BuildStorage, info: BuildInfo) {
        self.build = build
        self.info = info
    }

    var checkpoint: UInt64 { info.checkpoint }

    /// The touched campaign record, loaded from the store on first touch; nil when absent.
    private func aggregate(_ id: String, _ txn: borrowing Transaction) throws -> Touched<CampaignAggregate>? {
        if let cached = campaigns[id] { return cached }
        guard let bytes = try txn.get(build.campaigns, Array(id.utf8)) else { return nil }
        let touched: Touched<CampaignAggregate>
        do {
            touched = Touched(try CampaignAggregate(decoding: bytes), original: bytes)
        } catch {
            throw LedgerError.corrupted("campaign record of \(quoted(id)) in build \(build.number): \(error)")
        }
        campaigns[id] = touched
        return touched
    }

    /// The touched contact record, loaded from the store on first touch (a new fold when absent).
    private func fold(_ id: ContactIdentity, _ txn: borrowing Transaction) throws -> Touched<ContactFold> {
        if let cached = contacts[id] { return cached }
        let touched: Touched<ContactFold>
        if let bytes = try txn.get(build.contacts, StoreLayout.contactKey(id.campaign, id.contact)) {
            do {
                touched = Touched(try ContactFold(decoding: bytes), original: bytes)
            } catch {
                throw LedgerError.corrupted("contact record of \(id.campaign)/\(id.contact) in build \(build.number): \(error)")
            }
        } else {
            touched = Touched(ContactFold(), original: nil)
        }
        contacts[id] = touched
        return touched
    }

    func apply(_ record: RecordedEvent, _ txn: borrowing Transaction) throws {
        let event = record.event
        defer { info.checkpoint = record.position }
        if event.type == .campaignCreated {
            if let agg = CampaignAggregate(created: event) {
                if let existing = try aggregate(event.campaign, txn) {
                    existing.record = agg
                } else {
                    campaigns[event.campaign] = Touched(agg, original: nil)
                }
            }
            return
        }
        guard let campaign = try aggregate(event.campaign, txn) else {
            throw LedgerError.corrupted("event at position \(record.position) names campaign \(quoted(event.campaign)), which build \(build.number) does not have")
        }
        guard event.type.isContactEvent, let contact = event.contact else {
            campaign.record.applyLifecycle(event)
            return
        }
        let id = ContactIdentity(campaign: event.campaign, contact: contact)
        let touched = try fold(id, txn)
        let (old, new) = campaign.update { aggregate in
            touched.update { fold in
                let family = aggregate.family
                let old = fold.contribution(family: family)
                fold.apply(event, position: record.position, family: family)
                let new = fold.contribution(family: family)
                aggregate.replace(old, with: new)
                return (old, new)
            }
        }
        try build.recordRef(event, txn)
        try moveTiming(.deliver, old?.timeToDeliver, new?.timeToDeliver, id, txn)
        try moveTiming(.read, old?.timeToRead, new?.timeToRead, id, txn)
    }

    private func moveTiming(
        _ kind: BuildStorage.TimingKind, _ old: Int64?, _ new: Int64?, _ id: ContactIdentity,
        _ txn: borrowing Transaction
    ) throws {
        guard old != new else { return }
        if let old {
            let key = BuildStorage.timingKey(id.campaign, kind, old, id.contact)
            if try txn.delete(build.timings, key) { info.fingerprint.subtract(.term(key, [UInt8]())) }
        }
        if let new {
            let key = BuildStorage.timingKey(id.campaign, kind, new, id.contact)
            try txn.put(build.timings, key, [])
            info.fingerprint.add(.term(key, [UInt8]()))
        }
    }

    /// Writes every touched record, then the build's checkpoint and fingerprint.
    func flush(_ txn: borrowing Transaction, layout: StoreLayout) throws {
        for (id, entry) in campaigns {
            let key = Array(id.utf8)
            let value = entry.record.encoded()
            if let original = entry.original { info.fingerprint.subtract(.term(key, original)) }
            info.fingerprint.add(.term(key, value))
            try txn.put(build.campaigns, key, value)
        }
        for (id, entry) in contacts {
            let key = StoreLayout.contactKey(id.campaign, id.contact)
            let value = entry.record.encoded()
            if let original = entry.original { info.fingerprint.subtract(.term(key, original)) }
            info.fingerprint.add(.term(key, value))
            try txn.put(build.contacts, key, value)
        }
        campaigns = [:]
        contacts = [:]
        try txn.put(layout.builds, info.number.bigEndianBytes, info.bytes)
    }

    /// The build's record as it will be after `flush`.
    var currentInfo: BuildInfo { info }
}
