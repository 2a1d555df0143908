/// Every record of a built-in build folded in memory, per database (campaigns, contacts,
/// timings) and in key order, ready for `MDB_APPEND`: made from the folds of one or more shares
/// of the contacts (`CampaignShareRecords`, folded and encoded in parallel). Contact and timing keys start with
/// `len(campaign) ‖ campaign`, so sorting the campaigns by that prefix and each campaign's keys on
/// their own gives the whole database's order without sorting it whole.
struct KeyOrderedRecords {
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

    /// One campaign's contacts and timings (either may be empty), from its records of every share.
    init(campaign runs: [CampaignShareRecords]) {
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

    /// The campaigns' indices in the order their records are written: by key prefix
    /// (`len(campaign) ‖ campaign`), the order of the contacts' and timings' keys.
    static func campaignWriteOrder(_ ids: [String]) -> [Int] {
        ids.indices.map { (StoreLayout.campaignPrefix(ids[$0]), $0) }.sorted { bytesPrecede($0.0, $1.0) }.map(\.1)
    }

    func key(_ ref: Ref) -> UnsafeRawBufferPointer { arenas[Int(ref.arena)].key(Int(ref.index)) }
    func value(_ ref: Ref) -> UnsafeRawBufferPointer { arenas[Int(ref.arena)].value(Int(ref.index)) }

}
