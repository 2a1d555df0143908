import LMDB
import Foundation

/// The rules of the built-in projections (contact state, campaign status, metrics). Change
/// `rulesID` whenever the rules change, so stores know their builds were made by other rules.
public enum BuiltInProjection {
    /// The name of the built-in projection set in `builds` (custom projections have their own).
    public static let name = "campaigns"
    public static let version = 1
    public static let rulesID = "campaign-projections/domain-2026-11"
}

/// What the `builds` database says of one projection build (docs/format.md).
struct BuildInfo: Sendable, Hashable {
    enum Status: UInt8, Sendable {
        /// Being built by `ledger rebuild`: not maintained inline, not answering.
        case building = 0
        /// Complete: maintained inline by every process with its rules.
        case ready = 1
        /// Dropped: its data is gone.
        case dropped = 2
    }
    var number: UInt32
    var status: Status
    var version: UInt32
    var rulesID: String
    /// Which projection: `BuiltInProjection.name` or a custom projection's name.
    var projection: String = BuiltInProjection.name
    /// The last position applied: written in the same transaction as the data (exactly once).
    var checkpoint: UInt64
    var createdMicros: Int64
    /// When the build became ready (0 before).
    var completedMicros: Int64 = 0
    /// Events applied per second while it was built (0 for builds made inline from position 1).
    var eventsPerSecond: UInt64 = 0
    /// The state fingerprint at `checkpoint` (see `Fingerprint`).
    var fingerprint = Fingerprint()

    var bytes: [UInt8] {
        var out: [UInt8] = [1, status.rawValue]
        out += version.bigEndianBytes
        out += checkpoint.bigEndianBytes
        out += createdMicros.bigEndianBytes
        out += completedMicros.bigEndianBytes
        out += eventsPerSecond.bigEndianBytes
        out += fingerprint.bytes
        let rules = Array(rulesID.utf8)
        out += UInt16(rules.count).bigEndianBytes
        out += rules
        let name = Array(projection.utf8)
        out += UInt16(name.count).bigEndianBytes
        out += name
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
        let fixed = 2 + 4 + 8 + 8 + 8 + 8 + 32 + 2
        guard b.count >= fixed, b[0] == 1, let status = Status(rawValue: b[1]) else { return nil }
        let bytes = Array(b)
        func u64(_ at: Int) -> UInt64 { UInt64(bigEndianBytes: Array(bytes[at..<(at + 8)]))! }
        version = UInt32(bigEndianBytes: Array(bytes[2..<6]))!
        checkpoint = u64(6)
        createdMicros = Int64(bitPattern: u64(14))
        completedMicros = Int64(bitPattern: u64(22))
        eventsPerSecond = u64(30)
        fingerprint = Fingerprint(bytes: bytes[38..<70])!
        let length = Int(UInt16(bigEndianBytes: Array(bytes[70..<72]))!)
        guard bytes.count >= fixed + length + 2 else { return nil }
        rulesID = String(decoding: bytes[72..<(72 + length)], as: UTF8.self)
        let nameAt = 72 + length
        let nameLength = Int(UInt16(bigEndianBytes: Array(bytes[nameAt..<(nameAt + 2)]))!)
        guard bytes.count == nameAt + 2 + nameLength else { return nil }
        projection = String(decoding: bytes[(nameAt + 2)...], as: UTF8.self)
        self.number = number
        self.status = status
    }

    var isBuiltIn: Bool { projection == BuiltInProjection.name }
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

/// Records (key ‖ value) back to back in one growing buffer, in the order appended: a bulk
/// phase makes hundreds of thousands of records, and a pair of arrays per record (two
/// allocations, two frees, scattered pages) cost more than folding them.
struct RecordArena: Sendable {
    /// The buffer: immutable once made (growing makes a new one), so reading it from the
    /// thread that writes the records after the thread that made them is safe; freed with the
    /// last arena that holds it.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(byteCount: capacity, alignment: 8)
        }
        deinit { base.deallocate() }
    }

    private var storage: Storage
    private var used = 0
    /// Record i is `starts[i] ..< starts[i + 1]`, its key the first `keyCounts[i]` bytes.
    private var starts: [Int] = [0]
    private var keyCounts: [Int32] = []

    init(reserving bytes: Int = 0, records: Int = 0) {
        storage = Storage(capacity: max(bytes, 256))
        starts.reserveCapacity(records + 1)
        keyCounts.reserveCapacity(records)
    }

    var count: Int { keyCounts.count }

    private mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
        if used + bytes.count > storage.capacity {
            let grown = Storage(capacity: max(used + bytes.count, storage.capacity * 2))
            grown.base.copyMemory(from: storage.base, byteCount: used)
            storage = grown
        }
        (storage.base + used).copyMemory(from: from, byteCount: bytes.count)
        used += bytes.count
    }

    /// Appends the record `key ‖ keyRest ‖ value` and returns its fingerprint term.
    @discardableResult
    mutating func append(
        key: [UInt8], _ keyRest: UnsafeRawBufferPointer = .init(start: nil, count: 0),
        value: UnsafeRawBufferPointer = .init(start: nil, count: 0)
    ) -> Fingerprint {
        key.withUnsafeBytes { write($0) }
        write(keyRest)
        keyCounts.append(Int32(used - starts[starts.count - 1]))
        write(value)
        starts.append(used)
        return Fingerprint.term(record: UnsafeRawBufferPointer(start: storage.base + starts[count - 1], count: used - starts[count - 1]))
    }

    @inline(__always)
    func key(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + starts[i], count: Int(keyCounts[i]))
    }

    @inline(__always)
    func value(_ i: Int) -> UnsafeRawBufferPointer {
        let from = starts[i] + Int(keyCounts[i])
        return UnsafeRawBufferPointer(start: storage.base + from, count: starts[i + 1] - from)
    }
}

/// Every record of a built-in build folded in memory, per database (campaigns, contacts,
/// timings) and in key order, ready for `MDB_APPEND`: made from the folds of one or more shares
/// of the contacts (`Part`s, folded in parallel). Contact and timing keys start with
/// `len(campaign) ‖ campaign`, so sorting the campaigns by that prefix and each campaign's keys on
/// their own gives the whole database's order without sorting it whole.
struct BulkRecords {
    /// The encoding of one share's fold, campaign by campaign (each share encodes its own, in
    /// parallel; `BulkRecords(campaign:)` merges a campaign's parts of every share): first its
    /// contacts (`contacts`), then, separately, its timing entries (`timings`), so a bulk phase
    /// can write every campaign's contacts before any campaign's timings.
    enum Part {
        struct Campaign: Sendable {
            var id: String
            /// The campaign's metrics counted from this share's contacts (nil in a part that
            /// holds only timing entries).
            var aggregate: CampaignAggregate?
            var contacts: RecordArena
            var timings: RecordArena
            /// The sum of the fingerprint terms of its records, computed here, where shares are
            /// folded in parallel (a sum does not depend on the order).
            var fingerprint = Fingerprint()
        }

        /// A campaign's timing entries, made while its contacts are encoded, to encode later.
        struct Timings: Sendable {
            /// (kind, difference, the contact's rank in `order`): the timing keys' order once
            /// sorted.
            var entries: [(kind: UInt8, nanos: UInt64, rank: Int32)] = []
            /// The contacts' slots in id order.
            var order: [Int32] = []
        }

        /// The contacts of one campaign of a fold that deferred its metrics, and its timing
        /// entries to encode later: each contact's contribution is counted here, once, from its
        /// final fold. Contacts are encoded in id order (the order of their keys). `writer` is
        /// scratch space.
        static func contacts(
            _ entry: Projector.CampaignEntry, writer value: inout DomainByteWriter
        ) -> (Campaign, Timings) {
            precondition(entry.aggregate.metrics.contacts == 0, "a bulk part counts the metrics of a deferring fold")
            let prefix = StoreLayout.campaignPrefix(entry.id)
            let family = entry.aggregate.family
            var pending = Timings(order: entry.ids.sortedSlots())
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
            let part = Campaign(
                id: entry.id, aggregate: aggregate, contacts: contacts, timings: RecordArena(), fingerprint: fingerprint)
            return (part, pending)
        }

        /// The timing entries of a campaign whose contacts `contacts` encoded (and `pending`
        /// came from), sorted by (kind, difference, contact): the order of their keys. Needs
        /// the campaign's ids, not its folds.
        static func timings(_ entry: Projector.CampaignEntry, _ pending: Timings) -> Campaign {
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
            return Campaign(id: entry.id, aggregate: nil, contacts: RecordArena(), timings: arena, fingerprint: fingerprint)
        }

        /// A campaign's aggregate from its parts of every share: their metrics merged (nil for
        /// parts of timing entries alone).
        static func aggregate(of runs: [Campaign]) -> CampaignAggregate? {
            guard let first = runs[0].aggregate else { return nil }
            return runs.dropFirst().reduce(into: first) { total, run in run.aggregate.map { total.merge($0) } }
        }

        /// The campaigns' indices in the order their records are written: by key prefix
        /// (`len(campaign) ‖ campaign`), the order of the contacts' and timings' keys.
        static func writeOrder(_ ids: [String]) -> [Int] {
            ids.indices.map { (StoreLayout.campaignPrefix(ids[$0]), $0) }.sorted { bytesPrecede($0.0, $1.0) }.map(\.1)
        }
    }

    /// A record of one of the arenas: which arena (an index into `arenas`), which record.
    struct Ref: Sendable {
        var arena: Int32
        var index: Int32
    }

    /// Every arena the records live in.
    private(set) var arenas: [RecordArena] = []
    /// campaigns, contacts, timings: each database's records in key order.
    private(set) var lists: [[Ref]] = [[], [], []]
    /// The sum of every record's fingerprint term.
    private(set) var fingerprint = Fingerprint()

    init() {}

    /// The campaigns database: one record per campaign, in key order.
    init(aggregates: [(id: String, aggregate: CampaignAggregate)]) {
        var records = RecordArena()
        for (id, aggregate) in aggregates.sorted(by: { bytesPrecede(Array($0.id.utf8), Array($1.id.utf8)) }) {
            aggregate.encoded().withUnsafeBytes { value in fingerprint.add(records.append(key: Array(id.utf8), value: value)) }
            lists[0].append(Ref(arena: 0, index: Int32(lists[0].count)))
        }
        arenas = [records]
    }

    /// One campaign's contacts and timings (either may be empty), from its part in every share.
    init(campaign runs: [Part.Campaign]) {
        for run in runs { fingerprint.add(run.fingerprint) }
        lists[1] = merge(runs.map(\.contacts))
        lists[2] = merge(runs.map(\.timings))
    }

    /// The records of arenas whose keys are sorted and distinct, as one sorted list (the arenas
    /// are kept in `arenas`).
    private mutating func merge(_ runs: [RecordArena]) -> [Ref] {
        let first = Int32(arenas.count)
        arenas += runs
        var next = [Int](repeating: 0, count: runs.count)
        var out: [Ref] = []
        out.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        while true {
            var best = -1
            for r in runs.indices where next[r] < runs[r].count {
                if best < 0 || keyPrecedes(runs[r].key(next[r]), runs[best].key(next[best])) { best = r }
            }
            guard best >= 0 else { return out }
            out.append(Ref(arena: first + Int32(best), index: Int32(next[best])))
            next[best] += 1
        }
    }

    func key(_ ref: Ref) -> UnsafeRawBufferPointer { arenas[Int(ref.arena)].key(Int(ref.index)) }
    func value(_ ref: Ref) -> UnsafeRawBufferPointer { arenas[Int(ref.arena)].value(Int(ref.index)) }

}

/// Byte order (memcmp, then length), as LMDB orders keys.
@inline(__always)
func keyPrecedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
    return c != 0 ? c < 0 : a.count < b.count
}

/// Byte order (memcmp, then length), as LMDB orders keys.
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in keyPrecedes(pa, pb) } }
}
