import LMDB

/// The rules of the built-in projections (contact state, campaign status, metrics). Change
/// `rulesID` whenever the rules change, so stores know their builds were made by other rules.
public enum BuiltInProjection {
    public static let version = 1
    public static let rulesID = "campaign-projections/domain-2026-11"
}

/// What the `builds` database says of one projection build (docs/format.md).
struct BuildInfo: Sendable, Hashable {
    enum Status: UInt8, Sendable { case building = 0, ready = 1, dropped = 2 }
    var number: UInt32
    var status: Status
    var version: UInt32
    var rulesID: String
    /// The last position applied: written in the same transaction as the data (exactly once).
    var checkpoint: UInt64
    var createdMicros: Int64

    var bytes: [UInt8] {
        var out: [UInt8] = [1, status.rawValue]
        out += version.bigEndianBytes
        out += checkpoint.bigEndianBytes
        out += createdMicros.bigEndianBytes
        let rules = Array(rulesID.utf8)
        out += UInt16(rules.count).bigEndianBytes
        out += rules
        return out
    }

    init(number: UInt32, status: Status, version: UInt32, rulesID: String, checkpoint: UInt64, createdMicros: Int64) {
        self.number = number
        self.status = status
        self.version = version
        self.rulesID = rulesID
        self.checkpoint = checkpoint
        self.createdMicros = createdMicros
    }

    init?(number: UInt32, _ b: UnsafeRawBufferPointer) {
        guard b.count >= 24, b[0] == 1, let status = Status(rawValue: b[1]) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: b[2...])
        version = UInt32(bigEndianBytes: rest)!
        checkpoint = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: rest[4...]))!
        createdMicros = Int64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: rest[12...]))!
        let length = Int(UInt16(bigEndianBytes: UnsafeRawBufferPointer(rebasing: rest[20...]))!)
        guard rest.count >= 22 + length else { return nil }
        rulesID = String(decoding: UnsafeRawBufferPointer(rebasing: rest[22..<(22 + length)]), as: UTF8.self)
        self.number = number
        self.status = status
    }
}

/// The databases of one build: `b<N>.campaigns` (campaign id → CampaignAggregate),
/// `b<N>.contacts` (len(campaign) ‖ campaign ‖ contact → ContactFold) and `b<N>.timings`
/// (len(campaign) ‖ campaign ‖ kind ‖ difference ns (u64 BE) ‖ contact → empty: a sorted index
/// that gives each campaign's exact timing maxima).
struct BuildStorage: Sendable {
    let number: UInt32
    let campaigns: Database
    let contacts: Database
    let timings: Database

    static func names(_ number: UInt32) -> [String] {
        ["b\(number).campaigns", "b\(number).contacts", "b\(number).timings"]
    }

    init(number: UInt32, environment: Environment, create: Bool) throws {
        let dbs = try environment.openDatabases(Self.names(number), create: create)
        self.number = number
        campaigns = dbs[0]
        contacts = dbs[1]
        timings = dbs[2]
    }

    enum TimingKind: UInt8 { case deliver = 1, read = 2 }

    static func timingKey(_ campaign: String, _ kind: TimingKind, _ nanos: Int64, _ contact: String) -> [UInt8] {
        var key = StoreLayout.campaignPrefix(campaign)
        key.append(kind.rawValue)
        key += UInt64(nanos).bigEndianBytes
        key += contact.utf8
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

/// Applies appended events to one build inside the append's write transaction (inline
/// projection), keeping touched records in memory and writing each once when the batch ends.
/// Per event the work is O(1): the contact's fold, its campaign's counters, at most two timing
/// index entries — never a scan of the campaign.
struct ProjectionBatch {
    let build: BuildStorage
    private var campaigns: [String: CampaignAggregate] = [:]
    private var contacts: [ContactIdentity: ContactFold] = [:]
    private(set) var checkpoint: UInt64

    init(build: BuildStorage, checkpoint: UInt64) {
        self.build = build
        self.checkpoint = checkpoint
    }

    private mutating func aggregate(_ id: String, _ txn: borrowing Transaction) throws -> CampaignAggregate? {
        if let a = campaigns[id] { return a }
        return try build.aggregate(id, txn)
    }

    mutating func apply(_ record: RecordedEvent, _ txn: borrowing Transaction) throws {
        let event = record.event
        defer { checkpoint = record.position }
        if event.type == .campaignCreated {
            campaigns[event.campaign] = CampaignAggregate(created: event)
            return
        }
        guard var agg = try aggregate(event.campaign, txn) else {
            throw LedgerError.corrupted("event at position \(record.position) names campaign \(quoted(event.campaign)), which build \(build.number) does not have")
        }
        guard event.type.isContactEvent, let contact = event.contact else {
            agg.applyLifecycle(event)
            campaigns[event.campaign] = agg
            return
        }
        let id = ContactIdentity(campaign: event.campaign, contact: contact)
        var fold: ContactFold
        if let cached = contacts[id] {
            fold = cached
        } else {
            fold = try build.fold(id, txn) ?? ContactFold()
        }
        let family = agg.family
        let old = fold.contribution(family: family)
        fold.apply(event, position: record.position, family: family)
        let new = fold.contribution(family: family)
        agg.replace(old, with: new)
        contacts[id] = fold
        campaigns[event.campaign] = agg
        try moveTiming(.deliver, old?.timeToDeliver, new?.timeToDeliver, id, txn)
        try moveTiming(.read, old?.timeToRead, new?.timeToRead, id, txn)
    }

    private func moveTiming(
        _ kind: BuildStorage.TimingKind, _ old: Int64?, _ new: Int64?, _ id: ContactIdentity,
        _ txn: borrowing Transaction
    ) throws {
        guard old != new else { return }
        if let old { try txn.delete(build.timings, BuildStorage.timingKey(id.campaign, kind, old, id.contact)) }
        if let new { try txn.put(build.timings, BuildStorage.timingKey(id.campaign, kind, new, id.contact), []) }
    }

    /// Writes every touched record.
    func flush(_ txn: borrowing Transaction) throws {
        for (id, agg) in campaigns { try txn.put(build.campaigns, Array(id.utf8), agg.encoded()) }
        for (id, fold) in contacts {
            try txn.put(build.contacts, StoreLayout.contactKey(id.campaign, id.contact), fold.encoded())
        }
    }
}
