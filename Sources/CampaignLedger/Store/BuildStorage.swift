import LMDB

/// The databases of one build: `b<N>.campaigns` (campaign id → CampaignAggregate),
/// `b<N>.contacts` (len(campaign) ‖ campaign ‖ contact → ContactFold) and `b<N>.timings`
/// (len(campaign) ‖ campaign ‖ kind ‖ difference ns (u64 BE) ‖ contact → empty: a sorted index
/// that gives each campaign's exact timing maxima) and `b<N>.refs` (provider message id → the
/// campaign, contact and attempt of the first `contact.status` that recorded it: the index
/// provider callbacks find their contact by, http.md §3; not part of the fingerprint).
struct BuildStorage: Sendable {
    let number: UInt32
    let campaigns: Database
    let contacts: Database
    let timings: Database
    /// Nil only in a read-only process on a store written before the index existed.
    let refs: Database?
    /// Whether `b<N>.refs` was missing when the build was opened (a store written before the
    /// index existed): `Ledger` fills it on open.
    let refsWereMissing: Bool

    static func names(_ number: UInt32) -> [String] {
        ["b\(number).campaigns", "b\(number).contacts", "b\(number).timings", "b\(number).refs"]
    }

    /// Every database of the build, in `names` order.
    var all: [Database] { [campaigns, contacts, timings] + (refs.map { [$0] } ?? []) }

    init(number: UInt32, environment: Environment, create: Bool) throws {
        let names = Self.names(number)
        let refsExist = try environment.databaseExists(names[3])
        let dbs = try environment.openDatabases(Array(names[0..<3]), create: create)
        self.number = number
        campaigns = dbs[0]
        contacts = dbs[1]
        timings = dbs[2]
        refs = refsExist || create ? try environment.openDatabases([names[3]], create: create)[0] : nil
        refsWereMissing = !refsExist
    }

    /// The contact the index names for a provider message id, or nil.
    func refTarget(_ ref: String, _ txn: borrowing Transaction) throws -> ProviderRefs.Target? {
        guard let refs, let raw = try txn.get(refs, Array(ref.utf8)) else { return nil }
        guard let target = ProviderRefs.decode(raw) else {
            throw LedgerError.corrupted("the provider-refs entry of \(quoted(ref)) in build \(number) does not decode")
        }
        return target
    }

    /// Records a `contact.status`'s message id unless an earlier event did (the first wins).
    func recordRef(_ event: Event, _ txn: borrowing Transaction) throws {
        guard event.type == .contactStatus, let refs, let ref = event.providerRef, let contact = event.contact else { return }
        let key = Array(ref.utf8)
        guard try txn.get(refs, key) == nil else { return }
        try txn.put(refs, key, ProviderRefs.encode(.init(campaign: event.campaign, contact: contact, attempt: event.attempt ?? 1)))
    }

    enum TimingKind: UInt8 { case deliver = 1, read = 2 }

    static func timingKey(_ campaign: String, _ kind: TimingKind, _ nanos: Int64, _ contact: String) -> [UInt8] {
        timingKey(prefix: StoreLayout.campaignPrefix(campaign), kind, nanos, contact.utf8)
    }

    /// `timingKey` from the campaign's prefix (`StoreLayout.campaignPrefix`) and the contact's
    /// UTF-8 bytes.
    static func timingKey(
        prefix: [UInt8], _ kind: TimingKind, _ nanos: Int64, _ contact: some Collection<UInt8>
    ) -> [UInt8] {
        var key = prefix
        key.reserveCapacity(prefix.count + 9 + contact.count)
        key.append(kind.rawValue)
        key += UInt64(nanos).bigEndianBytes
        key += contact
        return key
    }

    // MARK: Reading

    func aggregate(_ campaign: String, _ txn: borrowing Transaction) throws -> CampaignAggregate? {
        guard let bytes = try txn.get(campaigns, Array(campaign.utf8)) else { return nil }
        do {
            return try CampaignAggregate(decoding: bytes)
        } catch {
            throw LedgerError.corrupted("campaign record of \(quoted(campaign)) in build \(number): \(error)")
        }
    }

    func fold(_ id: ContactIdentity, _ txn: borrowing Transaction) throws -> ContactFold? {
        guard let bytes = try txn.get(contacts, StoreLayout.contactKey(id.campaign, id.contact)) else { return nil }
        do {
            return try ContactFold(decoding: bytes)
        } catch {
            throw LedgerError.corrupted("contact record of \(id.campaign)/\(id.contact) in build \(number): \(error)")
        }
    }

    /// The exact largest timing difference of a campaign, from the sorted index.
    func maximum(_ campaign: String, _ kind: TimingKind, _ txn: borrowing Transaction) throws -> Int64? {
        var prefix = StoreLayout.campaignPrefix(campaign)
        prefix.append(kind.rawValue)
        guard let (key, _) = try txn.last(timings, prefix: prefix) else { return nil }
        return Int64(bitPattern: UInt64(bigEndianBytes: Array(key[prefix.count..<(prefix.count + 8)]))!)
    }
}
