import LMDB

/// One write transaction of appends: the head it moves, the validator that judges each event
/// against the store and the events before it, the builds maintained inline, and the side
/// records (re-deliveries). Event appends (`LedgerStore.append`) and provider callbacks
/// (`LedgerStore.receive`) both write through it, so an event is written, chained, indexed and
/// projected in one place.
final class AppendSession {
    let store: LedgerStore
    private(set) var head: LogHead
    var validator: Validator
    private(set) var projections: [BuildApplier] = []
    /// The commit time of every event of the transaction (never before the head's).
    let recordedAt: Int64
    private var redeliveries: UInt64
    /// Parked callbacks in the store (the table's count when the transaction began, plus those
    /// parked since): while zero, no append needs to look for callbacks waiting on its
    /// `providerRef`.
    var parkedCount: Int

    init(_ store: LedgerStore, expectedEvents: Int, _ txn: borrowing Transaction) throws {
        self.store = store
        let layout = store.layout
        head = try store.head(txn)
        validator = Validator(layout: layout, head: head.position)
        validator.reserveCapacity(expectedEvents)
        for info in try store.buildInfos(txn) where info.status == .ready && info.checkpoint == head.position {
            if let applier = try store.applier(info) { projections.append(applier) }
        }
        recordedAt = max(Clock.nowMicros(), head.recordedAtMicros)
        redeliveries = try txn.get(layout.meta, StoreLayout.redeliveryCountKey).flatMap { UInt64(bigEndianBytes: $0) } ?? 0
        parkedCount = try layout.parked.map { try txn.statistics($0).entries } ?? 0
    }

    /// Writes an admitted event at `position` (its indexes, its chain hash), applies it to every
    /// build maintained inline, and moves the head to it.
    @discardableResult
    func write(
        _ event: Event, position: UInt64, restored: Restored? = nil, index: Int = 0, _ txn: borrowing Transaction
    ) throws -> RecordedEvent {
        let record = try store.writeEvent(
            event, position: position, recordedAt: restored?.recordedAtMicros ?? recordedAt,
            salt: restored?.addressSalt, previous: head.hash, txn)
        if let restored, restored.hash != record.hash {
            throw LedgerError.invalidInput(
                InputError(field: "hash", message: "does not match the event: the chain breaks at position \(position)"),
                index: index + 1)
        }
        if event.type == .contactForgotten, let contact = event.contact {
            parkedCount -= try store.eraseAddress(campaign: event.campaign, contact: contact, txn)
        }
        for i in projections.indices { try projections[i].apply(record, txn) }
        head = LogHead(position: position, recordedAtMicros: record.recordedAtMicros, hash: record.hash)
        return record
    }

    /// Keeps a skipped re-delivery of the event at `position` in the side record.
    func redelivered(id: String, repeats position: UInt64, _ txn: borrowing Transaction) throws {
        redeliveries += 1
        let side = Redelivery(
            sequence: redeliveries, id: id, repeats: position, after: head.position, receivedMicros: recordedAt)
        try txn.put(store.layout.redeliveries, redeliveries.bigEndianBytes, side.bytes)
    }

    /// Writes what the transaction changed besides the events: the registry, the builds'
    /// pending state, the head and the re-delivery count.
    func finish(_ txn: borrowing Transaction) throws {
        let layout = store.layout
        for (id, entry) in validator.changedCampaigns {
            try txn.put(layout.registry, StoreLayout.registryCampaignKey(id), entry.bytes)
        }
        for (id, entry) in validator.changedContacts {
            try txn.put(layout.registry, StoreLayout.registryContactKey(id.campaign, id.contact), entry.bytes)
        }
        for i in projections.indices { try projections[i].flush(txn, layout: layout) }
        try txn.put(layout.meta, StoreLayout.headKey, head.bytes)
        try txn.put(layout.meta, StoreLayout.redeliveryCountKey, redeliveries.bigEndianBytes)
    }

    /// The contact the `providerRef` index names for a message id, seeing this transaction's
    /// appends: the index of a built-in build maintained here, else of the active one.
    func providerRefTarget(_ ref: String, _ txn: borrowing Transaction) throws -> ProviderRefs.Target? {
        for p in projections {
            if case .builtIn(let b) = p { return try b.build.refTarget(ref, txn) }
        }
        guard let active = try store.activeBuildNumber(txn), let storage = store.openedStorage(active) else { return nil }
        return try storage.refTarget(ref, txn)
    }
}
