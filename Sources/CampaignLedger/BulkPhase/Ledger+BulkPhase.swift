import Foundation
import LMDB
import Logging
import Synchronization

extension Ledger {
    /// The bulk phase of a built-in rebuild: reads the log up to the current head sequentially,
    /// each record in place; folds it in memory (heap grows with contacts, not events), in
    /// parallel on `shares` threads, each folding a share of the contacts; and writes every
    /// database of the build in key order, with `MDB_APPEND`, in transactions of at most 50 000
    /// records. The checkpoint is set only by the last of them, so an interrupted bulk phase
    /// starts over.
    ///
    /// This thread reads the log once and sends each record to the share that owns its contact;
    /// once the shares have folded everything, each encodes its campaigns' contacts in the order
    /// they are written, then their timing entries, and hands each step over; this thread merges
    /// a step's records from every share as soon as all have handed it over, and writes them
    /// while the shares encode the next.
    func bulkLoad(
        _ number: UInt32, chunk: Int, shares: Int, progress: ((BuildProgress) throws -> Void)?
    ) throws {
        let storage = try store.storage(number)
        let head = try store.head().position
        let started = DispatchTime.now().uptimeNanoseconds
        let store = self.store
        let handoff = EncodedCampaignHandoff(shares: shares)
        let queues = (0..<shares).map { _ in ShareRecordQueue(batches: 4) }
        let refs = SharedProviderRefs(shares: shares, kept: storage.refs != nil)
        /// Folds one share of the contacts from its queue, then encodes its campaigns in write order.
        @Sendable func fold(_ share: Int) throws {
            var projector = Projector(deferringMetrics: true)
            var firstRefs = ShareProviderRefs()
            let queue = queues[share]
            defer { queue.stop() }
            while let batch = queue.receive() {
                defer { queue.recycle(batch) }
                try batch.bytes.withUnsafeBytes { all in
                    var start = 0
                    for end in batch.ends {
                        let record = UnsafeRawBufferPointer(rebasing: all[start..<end])
                        start = end
                        let view: RecordView
                        do {
                            view = try RecordView(record, checking: .foldedTexts)
                        } catch {
                            let position = record.count >= 10 ? UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: record[2..<10])) ?? 0 : 0
                            throw LedgerError.corrupted("the event at position \(position) does not decode (\(error))")
                        }
                        projector.apply(view)
                        if refs.kept { firstRefs.note(view) }
                    }
                }
            }
            refs.publish(share, firstRefs)
            guard !handoff.isStopped else { return }
            var campaigns = projector.campaigns
            projector = Projector()  // the folds live in `campaigns` alone, freed one campaign at a time
            let order = KeyOrderedRecords.campaignWriteOrder(campaigns.map(\.id))
            handoff.setWriteOrder(order)
            // Every campaign's contacts, then every campaign's timing entries (steps 0..<n, then
            // n..<2n, the order they are written in): what is left to write once the shares are
            // done is the last campaign's timing entries, not a whole campaign.
            var writer = DomainByteWriter(capacity: 256)
            var pending: [Int: PendingTimingEntries] = [:]
            for (step, k) in order.enumerated() where !handoff.isStopped {
                let (records, timings) = CampaignShareRecords.encodeContacts(campaigns[k], writer: &writer)
                handoff.publish(step, share: share, records)
                campaigns[k].forgetFolds()
                pending[k] = timings
            }
            for (step, k) in order.enumerated() where !handoff.isStopped {
                guard let timings = pending.removeValue(forKey: k) else { break }
                handoff.publish(order.count + step, share: share, CampaignShareRecords.encodeTimings(campaigns[k], timings))
                campaigns[k].forgetContacts()
            }
        }
        // Threads of their own, not Dispatch's pool: a caller in Swift concurrency (whose
        // executor on Linux is that pool, as wide as the cores) blocks one of its threads while it
        // writes, and the shares would then take turns on the rest.
        let group = DispatchGroup()
        for share in 0..<shares {
            group.enter()
            let thread = Thread {
                do { try fold(share) } catch { handoff.fail(error) }
                group.leave()
            }
            thread.name = "ledger rebuild share \(share)"
            thread.start()
        }
        defer {
            handoff.stop()  // on an error here, the shares stop at their next batch or campaign
            for queue in queues { queue.close() }
            group.wait()
        }
        let tick = {
            let checkpoint = handoff.checkpoint
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try progress?(BuildProgress(
                build: Int(number), checkpoint: checkpoint, head: head,
                eventsPerSecond: Double(checkpoint) / max(elapsed, 1e-9)))
        }
        // This thread reads the log once, in read transactions of `max(chunk, 100 000)` records,
        // and sends each record to the share that owns its contact (a record without a contact,
        // such as a campaign's lifecycle, to every share), copied into batches the shares hand
        // back when folded.
        do {
            var batches = try queues.map { try $0.emptyBatch() ?? { throw handoff.failure }() }
            func route(_ record: UnsafeRawBufferPointer, to share: Int) throws {
                batches[share].add(record)
                guard batches[share].isFull else { return }
                queues[share].send(batches[share])
                batches[share] = try queues[share].emptyBatch() ?? { throw handoff.failure }()
            }
            var next: UInt64 = 1
            while next <= head {
                let limit = max(chunk, 100_000)
                var count = 0
                try store.environment.read { txn in
                    try txn.forEach(store.layout.events, from: next.bigEndianBytes) { key, value in
                        guard let position = UInt64(bigEndianBytes: key), position <= head else { return false }
                        guard position == next else {
                            throw LedgerError.corrupted("position \(next) is missing from the log")
                        }
                        next += 1
                        count += 1
                        if shares > 1, let contact = RecordView.contactBytes(value) {
                            try route(value, to: Projector.Share.owner(of: contact, count: shares))
                        } else {
                            for share in 0..<shares { try route(value, to: share) }
                        }
                        return count < limit
                    }
                }
                if count == 0 && next <= head { throw LedgerError.corrupted("position \(next) is missing from the log") }
                handoff.read(upTo: next - 1)
                try tick()
            }
            for share in 0..<shares {
                queues[share].send(batches[share])
                queues[share].close()
            }
        } catch {
            handoff.fail(error)
        }
        let order = try handoff.order(tick: tick)
        let folded = DispatchTime.now().uptimeNanoseconds
        let databases = [storage.campaigns, storage.contacts, storage.timings]
        var fingerprint = Fingerprint()
        var aggregates: [(id: String, aggregate: CampaignAggregate)] = []
        var written = 0
        /// The step being written (a campaign's contacts, or its timing entries: see `fold`),
        /// and where in its lists (contacts, then timings; one of them is empty).
        var current = KeyOrderedRecords()
        var at = (database: 1, index: 0)
        var taken = 0
        let steps = 2 * order.count
        func take(_ runs: [CampaignShareRecords]) {
            if let aggregate = CampaignShareRecords.mergedAggregate(of: runs) { aggregates.append((runs[0].id, aggregate)) }
            current = KeyOrderedRecords(campaign: runs)
            fingerprint.add(current.fingerprint)
            at = (1, 0)
            taken += 1
        }
        var first = true
        while true {
            // Wait (outside any transaction) for the next step when the current one is written.
            if at.database == databases.count {
                guard taken < steps else { break }
                take(try handoff.take(taken, tick: tick))
            }
            try store.environment.write { txn in
                if first {  // a bulk phase interrupted earlier may have left records
                    for db in databases { try txn.clear(db) }
                    if let db = storage.refs { try txn.clear(db) }
                    first = false
                }
                var budget = 50_000
                while budget > 0 {
                    if at.database == databases.count {
                        // Go on in this transaction with the next step only if it is ready.
                        guard taken < steps, let runs = try handoff.poll(taken) else { break }
                        take(runs)
                    }
                    try current.lists[at.database].withUnsafeBufferPointer { list in
                        let end = min(list.count, at.index + budget)
                        try txn.withCursor(databases[at.database]) { cursor in
                            for ref in list[at.index..<end] {
                                try cursor.put(current.key(ref), current.value(ref), flags: .append)
                            }
                        }
                        budget -= end - at.index
                        written += end - at.index
                        at = end == list.count ? (at.database + 1, 0) : (at.database, end)
                    }
                }
            }
        }
        current = KeyOrderedRecords()
        // Every share published its message ids before it encoded its first campaign, and all
        // their campaigns are written.
        let refEntries = refs.kept ? try refs.merged() : []
        if let db = storage.refs {
            var index = 0
            while index < refEntries.count {
                try store.environment.write { txn in
                    if first {
                        try txn.clear(db)
                        first = false
                    }
                    let end = min(refEntries.count, index + 50_000)
                    try txn.withCursor(db) { cursor in
                        for entry in refEntries[index..<end] {
                            try entry.key.withUnsafeBytes { k in
                                try entry.value.withUnsafeBytes { v in try cursor.put(k, v, flags: .append) }
                            }
                        }
                    }
                    index = end
                }
            }
        }
        let campaignRecords = KeyOrderedRecords(aggregates: aggregates)
        fingerprint.add(campaignRecords.fingerprint)
        try store.environment.write { txn in
            for ref in campaignRecords.lists[0] {
                try txn.put(storage.campaigns, campaignRecords.key(ref), campaignRecords.value(ref), flags: .append)
            }
            guard var info = try store.buildInfo(number, txn) else {
                throw LedgerError.notFound("build \(number) was dropped meanwhile")
            }
            info.checkpoint = head
            info.fingerprint = fingerprint
            try txn.put(store.layout.builds, number.bigEndianBytes, info.bytes)
        }
        written += campaignRecords.lists[0].count
        func ms(_ from: UInt64, _ to: UInt64) -> String { "\((to - from) / 1_000_000) ms" }
        configuration.logger.info(
            "bulk phase of build \(number): \(head) events folded in \(ms(started, folded)) by \(shares) threads, \(written) records and \(refEntries.count) message ids encoded and written in \(ms(folded, DispatchTime.now().uptimeNanoseconds)) more")
    }
}

extension Ledger {
    /// Fills a build's `providerRef` index (`b<N>.refs`) from the log up to `head`, on open for a
    /// build written before the index existed (a rebuild's bulk phase fills it as it folds). Reads the
    /// log in place in transactions of at most 50 000 events; the first event that records a
    /// message id wins, so a fill that was interrupted is simply run again.
    func foldProviderRefs(_ storage: BuildStorage, through head: UInt64) throws {
        guard storage.refs != nil else { return }
        var next: UInt64 = 1
        while next <= head {
            next = try store.environment.write { txn in
                var position = next
                var count = 0
                try txn.forEach(store.layout.events, from: next.bigEndianBytes) { key, value in
                    let view: RecordView
                    do {
                        view = try RecordView(value, checking: .foldedTexts)
                    } catch {
                        throw LedgerError.corrupted("the event at position \(UInt64(bigEndianBytes: key) ?? 0) does not decode (\(error))")
                    }
                    guard view.position <= head else {
                        position = head + 1
                        return false
                    }
                    position = view.position + 1
                    if view.type == .contactStatus && view.hasProviderRef { try storage.recordRef(view.event(), txn) }
                    count += 1
                    return count < 50_000
                }
                return count == 0 ? head + 1 : position
            }
        }
    }
}

/// The message ids one share of a bulk phase saw first, each with the position of the report
/// that recorded it: the first report of an id wins (`BuildStorage.recordRef`), and a share sees
/// its records in position order.
struct ShareProviderRefs {
    typealias Entry = (key: [UInt8], position: UInt64, value: [UInt8])
    /// The ids by their bytes (no `String`, no SipHash per report), and per slot the first report.
    private var ids = IDTable()
    private var positions: [UInt64] = []
    private var values: [[UInt8]] = []

    mutating func note(_ view: RecordView) {
        guard let key = view.providerRefKey, ids.insert(key).inserted else { return }
        positions.append(view.position)
        values.append(view.providerRefValue())
    }

    /// The entries in key order (as LMDB sorts keys), made on the share's own thread.
    func sorted() -> [Entry] {
        ids.sortedSlots().map { slot in
            let s = Int(slot)
            return (ids.withIDBytes(s) { Array($0) }, positions[s], values[s])
        }
    }
}

/// What every share of a bulk phase found, merged into the index's entries in key order.
final class SharedProviderRefs: Sendable {
    let kept: Bool
    private let parts: Mutex<[[ShareProviderRefs.Entry]?]>

    init(shares: Int, kept: Bool) {
        self.kept = kept
        parts = Mutex(Array(repeating: nil, count: shares))
    }

    func publish(_ share: Int, _ refs: ShareProviderRefs) {
        let sorted = refs.sorted()
        parts.withLock { $0[share] = sorted }
    }

    /// The earliest report of each id across the shares, in key order: a merge of the shares'
    /// sorted lists.
    func merged() throws -> [(key: [UInt8], value: [UInt8])] {
        let lists = try parts.withLock { parts in
            let taken = parts
            parts = parts.map { _ in nil }
            return try taken.map { list in
                guard let list else { throw LedgerError.internal("a share of the bulk phase did not publish its message ids") }
                return list
            }
        }
        var out: [(key: [UInt8], value: [UInt8])] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        var heads = [Int](repeating: 0, count: lists.count)
        while true {
            // The smallest key at the head of any list, and its earliest report.
            var best: ShareProviderRefs.Entry?
            for (l, list) in lists.enumerated() where heads[l] < list.count {
                let entry = list[heads[l]]
                guard let b = best else {
                    best = entry
                    continue
                }
                if entry.key.lexicographicallyPrecedes(b.key) || (entry.key == b.key && entry.position < b.position) {
                    best = entry
                }
            }
            guard let b = best else { return out }
            out.append((b.key, b.value))
            for (l, list) in lists.enumerated() where heads[l] < list.count && list[heads[l]].key == b.key { heads[l] += 1 }
        }
    }
}
