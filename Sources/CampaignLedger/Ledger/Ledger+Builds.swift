import Foundation
import LMDB
import Logging

/// One projection build as `ledger projections list` shows it.
public struct BuildSummary: Sendable, Hashable {
    public enum State: String, Sendable {
        /// Being built by `ledger rebuild`.
        case building
        /// Complete, maintained by processes with its rules, not answering by default.
        case ready
        /// The build that answers queries.
        case active
        /// Made by other rules than this binary's: it falls behind until a process with its
        /// rules catches it up.
        case stale
    }
    public var number: Int
    /// `campaigns` for the built-in projections, else a custom projection's name.
    public var projection: String
    public var state: State
    public var version: Int
    public var rulesID: String
    public var checkpoint: UInt64
    /// Events between its checkpoint and the head.
    public var lag: UInt64
    public var bytes: Int
    public var eventsPerSecond: UInt64
    public var createdMicros: Int64
    public var fingerprint: String

    public var json: JSONOutput {
        .object([
            ("build", .int(Int64(number))), ("projection", .string(projection)), ("state", .string(state.rawValue)), ("version", .int(Int64(version))),
            ("rulesId", .string(rulesID)), ("checkpoint", .int(Int64(checkpoint))), ("lag", .int(Int64(lag))),
            ("bytes", .int(Int64(bytes))), ("eventsPerSecond", .int(Int64(eventsPerSecond))),
            ("createdAt", .string(RFC3339.formatMicros(createdMicros))), ("fingerprint", .string(fingerprint)),
        ])
    }
}

/// What a rebuild did.
public struct RebuildSummary: Sendable {
    public var build: Int
    public var events: UInt64
    public var seconds: Double
    public var eventsPerSecond: Double
    public var activated: Bool
    /// With `verify`: whether the new build's fingerprint equals the active build's at the same
    /// position (nil when not compared: other rules, or not asked).
    public var fingerprintMatches: Bool?
    public var resumed: Bool

    public var json: JSONOutput {
        .object([
            ("build", .int(Int64(build))), ("events", .int(Int64(events))), ("seconds", .double(seconds)),
            ("eventsPerSecond", .int(Int64(eventsPerSecond))), ("activated", .bool(activated)),
            ("fingerprintMatches", fingerprintMatches.map(JSONOutput.bool) ?? .null), ("resumed", .bool(resumed)),
        ])
    }
}

/// Progress of a rebuild or catch-up.
public struct BuildProgress: Sendable {
    public var build: Int
    public var checkpoint: UInt64
    public var head: UInt64
    public var eventsPerSecond: Double
}

extension Ledger {
    /// Every build, oldest first.
    public func builds() throws -> [BuildSummary] {
        let infos: [BuildInfo] = try store.environment.read { txn in try store.buildInfos(txn) }
        for info in infos where info.status != .dropped { try store.openBuild(info) }
        let storages = try infos.filter { $0.isBuiltIn && $0.status != .dropped }.map { try store.storage($0.number) }
        return try store.environment.read { txn in
            let head = try store.head(txn).position
            return try infos.filter { $0.status != .dropped }.map { info in
                var dbs = storages.filter { $0.number == info.number }.flatMap { [$0.campaigns, $0.contacts, $0.timings] }
                if let kv = store.customDatabase(info.number) { dbs.append(kv) }
                let bytes = try dbs.reduce(0) { $0 + (try txn.statistics($1).bytes) }
                let active = try store.activeBuildNumber(txn, projection: info.projection)
                let state: BuildSummary.State =
                    info.number == active ? .active
                    : info.status == .building ? .building
                    : !store.maintains(info) ? .stale : .ready
                return BuildSummary(
                    number: Int(info.number), projection: info.projection, state: state, version: Int(info.version), rulesID: info.rulesID,
                    checkpoint: info.checkpoint, lag: head - min(head, info.checkpoint), bytes: bytes,
                    eventsPerSecond: info.eventsPerSecond, createdMicros: info.createdMicros,
                    fingerprint: hex(info.fingerprint.bytes))
            }
        }
    }

    /// Replays the whole log into a new build (DESIGN.md §4) while appends go on. The built-in
    /// projections are first bulk-loaded (see `bulkLoad`: the log up to the head folded in memory
    /// on `threads` threads — default the cores, at most four — and written sorted); then the
    /// log from the build's checkpoint is applied in chunks, each in its own short write
    /// transaction with the checkpoint (so a rebuild interrupted by Ctrl-C or a crash resumes
    /// from there), catching up with appends made meanwhile; in the final transaction — caught up
    /// to the head — the build is marked ready and, unless `activate` is false, made the
    /// answering build.
    /// With `verify`, the new build's fingerprint is compared with the active build's at the same
    /// position first (when both have the same rules); a mismatch leaves the active build alone.
    /// A second rebuild of the same store at the same time fails with `LedgerError.unavailable`.
    public func rebuild(
        projection: String = BuiltInProjection.name, activate: Bool = true, verify: Bool = false,
        chunk: Int = 20_000, threads: Int? = nil, progress: ((BuildProgress) throws -> Void)? = nil
    ) throws -> RebuildSummary {
        let rules: (version: Int, id: String)
        if projection == BuiltInProjection.name {
            rules = (BuiltInProjection.version, BuiltInProjection.rulesID)
        } else if let custom = store.customProjections[projection] {
            rules = (custom.version, custom.rulesID)
        } else {
            throw LedgerError.notFound("no projection \(quoted(projection)) in this process")
        }
        guard !store.isReadOnly else { throw LedgerError.unavailable("\(path) is read-only; a rebuild writes a new build") }
        let lock = try RebuildLock(path: path)
        defer { lock.release() }
        let started = DispatchTime.now().uptimeNanoseconds
        // Resume an interrupted build of our rules, or start a new one.
        let (number, resumed) = try store.environment.write { txn -> (UInt32, Bool) in
            let infos = try store.buildInfos(txn)
            if let open = infos.last(where: { $0.status == .building && $0.projection == projection && $0.rulesID == rules.id }) {
                return (open.number, true)
            }
            let live = infos.filter { $0.status != .dropped }
            guard live.count < LedgerStore.maxLiveBuilds else {
                throw LedgerError.unavailable(
                    "\(path) keeps \(live.count) builds, the most it can; drop old ones with "
                        + "`ledger projections drop N` (see `ledger projections list`), then rebuild")
            }
            let number = (infos.map(\.number).max() ?? 0) + 1
            var info = BuildInfo(
                number: number, status: .building, version: UInt32(rules.version),
                rulesID: rules.id, checkpoint: 0, createdMicros: Clock.nowMicros())
            info.projection = projection
            try txn.put(store.layout.builds, number.bigEndianBytes, info.bytes)
            return (number, false)
        }
        guard let created = try store.environment.read({ txn in try store.buildInfo(number, txn) }) else {
            throw LedgerError.internal("build \(number) vanished")
        }
        try store.openBuild(created)
        if created.isBuiltIn && created.checkpoint == 0 {
            let shares = threads ?? min(4, ProcessInfo.processInfo.activeProcessorCount)
            try bulkLoad(number, chunk: chunk, shares: max(1, shares), progress: progress)
        }
        let startCheckpoint: UInt64 = 0
        let outcome = try catchUp(number, chunk: chunk, progress: progress) { txn, info in
            // The final transaction: caught up to the head.
            var info = info
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            info.status = .ready
            info.completedMicros = Clock.nowMicros()
            info.eventsPerSecond = UInt64(Double(info.checkpoint - startCheckpoint) / max(elapsed, 1e-9))
            var matches: Bool?
            let activeNumber = try store.activeBuildNumber(txn, projection: projection) ?? 0
            if verify, let active = try store.buildInfo(activeNumber, txn), active.rulesID == info.rulesID,
                active.checkpoint == info.checkpoint, activeNumber != number
            {
                matches = active.fingerprint == info.fingerprint
            }
            let activated = activate && matches != false
            if activated { try txn.put(store.layout.meta, LedgerStore.activeKey(projection), number.bigEndianBytes) }
            try txn.put(store.layout.builds, number.bigEndianBytes, info.bytes)
            return (activated, matches)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let events = outcome.checkpoint - startCheckpoint
        configuration.logger.info("rebuilt build \(number): \(events) events in \(seconds) s")
        return RebuildSummary(
            build: Int(number), events: events, seconds: seconds, eventsPerSecond: Double(events) / max(seconds, 1e-9),
            activated: outcome.activated, fingerprintMatches: outcome.matches, resumed: resumed)
    }

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
    private func bulkLoad(
        _ number: UInt32, chunk: Int, shares: Int, progress: ((BuildProgress) throws -> Void)?
    ) throws {
        let storage = try store.storage(number)
        let head = try store.head().position
        let started = DispatchTime.now().uptimeNanoseconds
        let store = self.store
        let board = BulkBoard(shares: shares)
        let feeds = (0..<shares).map { _ in RecordFeed(batches: 4) }
        /// Folds one share of the contacts from its feed, then encodes its campaigns in write order.
        @Sendable func fold(_ share: Int) throws {
            var projector = Projector(deferringMetrics: true)
            let feed = feeds[share]
            defer { feed.stop() }
            while let batch = feed.receive() {
                defer { feed.recycle(batch) }
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
                    }
                }
            }
            guard !board.isStopped else { return }
            var campaigns = projector.campaigns
            projector = Projector()  // the folds live in `campaigns` alone, freed one campaign at a time
            let order = BulkRecords.Part.writeOrder(campaigns.map(\.id))
            board.start(order)
            // Every campaign's contacts, then every campaign's timing entries (steps 0..<n, then
            // n..<2n, the order they are written in): what is left to write once the shares are
            // done is the last campaign's timing entries, not a whole campaign.
            var writer = DomainByteWriter(capacity: 256)
            var pending: [Int: BulkRecords.Part.Timings] = [:]
            for (step, k) in order.enumerated() where !board.isStopped {
                let (records, timings) = BulkRecords.Part.contacts(campaigns[k], writer: &writer)
                board.publish(step, share: share, records)
                campaigns[k].forgetFolds()
                pending[k] = timings
            }
            for (step, k) in order.enumerated() where !board.isStopped {
                guard let timings = pending.removeValue(forKey: k) else { break }
                board.publish(order.count + step, share: share, BulkRecords.Part.timings(campaigns[k], timings))
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
                do { try fold(share) } catch { board.fail(error) }
                group.leave()
            }
            thread.name = "ledger rebuild share \(share)"
            thread.start()
        }
        defer {
            board.stop()  // on an error here, the shares stop at their next batch or campaign
            for feed in feeds { feed.close() }
            group.wait()
        }
        let tick = {
            let checkpoint = board.checkpoint
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
            var batches = try feeds.map { try $0.emptyBatch() ?? { throw board.failure }() }
            func route(_ record: UnsafeRawBufferPointer, to share: Int) throws {
                batches[share].add(record)
                guard batches[share].isFull else { return }
                feeds[share].send(batches[share])
                batches[share] = try feeds[share].emptyBatch() ?? { throw board.failure }()
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
                board.read(upTo: next - 1)
                try tick()
            }
            for share in 0..<shares {
                feeds[share].send(batches[share])
                feeds[share].close()
            }
        } catch {
            board.fail(error)
        }
        let order = try board.order(tick: tick)
        let folded = DispatchTime.now().uptimeNanoseconds
        let databases = [storage.campaigns, storage.contacts, storage.timings]
        var fingerprint = Fingerprint()
        var aggregates: [(id: String, aggregate: CampaignAggregate)] = []
        var written = 0
        /// The step being written (a campaign's contacts, or its timing entries: see `fold`),
        /// and where in its lists (contacts, then timings; one of them is empty).
        var current = BulkRecords()
        var at = (database: 1, index: 0)
        var taken = 0
        let steps = 2 * order.count
        func take(_ runs: [BulkRecords.Part.Campaign]) {
            if let aggregate = BulkRecords.Part.aggregate(of: runs) { aggregates.append((runs[0].id, aggregate)) }
            current = BulkRecords(campaign: runs)
            fingerprint.add(current.fingerprint)
            at = (1, 0)
            taken += 1
        }
        var first = true
        while true {
            // Wait (outside any transaction) for the next step when the current one is written.
            if at.database == databases.count {
                guard taken < steps else { break }
                take(try board.take(taken, tick: tick))
            }
            try store.environment.write { txn in
                if first {  // a bulk phase interrupted earlier may have left records
                    for db in databases { try txn.clear(db) }
                    first = false
                }
                var budget = 50_000
                while budget > 0 {
                    if at.database == databases.count {
                        // Go on in this transaction with the next step only if it is ready.
                        guard taken < steps, let runs = try board.poll(taken) else { break }
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
        current = BulkRecords()
        let campaignRecords = BulkRecords(aggregates: aggregates)
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
            "bulk phase of build \(number): \(head) events folded in \(ms(started, folded)) by \(shares) threads, \(written) records encoded and written in \(ms(folded, DispatchTime.now().uptimeNanoseconds)) more")
    }

    /// Applies the log from the build's checkpoint to the head, chunk by chunk; `finish` runs in
    /// the transaction that reaches the head (after the last events are applied and flushed).
    private func catchUp(
        _ number: UInt32, chunk: Int, progress: ((BuildProgress) throws -> Void)?,
        finish: (borrowing Transaction, BuildInfo) throws -> (Bool, Bool?)
    ) throws -> (checkpoint: UInt64, activated: Bool, matches: Bool?) {
        let started = DispatchTime.now().uptimeNanoseconds
        var applied: UInt64 = 0
        while true {
            // Read the next chunk outside the writer, then apply it inside a short write.
            let from = try store.environment.read { txn in (try store.buildInfo(number, txn)?.checkpoint ?? 0) + 1 }
            let records = try store.records(from: from, limit: chunk)
            let result: (done: Bool, checkpoint: UInt64, head: UInt64, activated: Bool, matches: Bool?) =
                try store.environment.write { txn in
                    guard let info = try store.buildInfo(number, txn), info.status != .dropped else {
                        throw LedgerError.notFound("build \(number) was dropped meanwhile")
                    }
                    let head = try store.head(txn).position
                    guard let batch = try store.applier(info) else {
                        throw LedgerError.usage("build \(number) has rules this process does not have")
                    }
                    for r in records where r.position == batch.info.checkpoint + 1 { try batch.apply(r, txn) }
                    // Appends that landed after the chunk was read (or a short chunk): apply them
                    // here, inside the writer, when few enough to finish now.
                    if head - batch.info.checkpoint <= UInt64(chunk) {
                        while batch.info.checkpoint < head {
                            guard let r = try store.record(at: batch.info.checkpoint + 1, txn) else {
                                throw LedgerError.corrupted("position \(batch.info.checkpoint + 1) is missing from the log")
                            }
                            try batch.apply(r, txn)
                        }
                    }
                    try batch.flush(txn, layout: store.layout)
                    let now = batch.info
                    if now.checkpoint == head {
                        let (activated, matches) = try finish(txn, now)
                        return (true, now.checkpoint, head, activated, matches)
                    }
                    return (false, now.checkpoint, head, false, nil)
                }
            applied = result.checkpoint - (from - 1) + applied
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try progress?(BuildProgress(
                build: Int(number), checkpoint: result.checkpoint, head: result.head,
                eventsPerSecond: Double(applied) / max(elapsed, 1e-9)))
            if result.done { return (result.checkpoint, result.activated, result.matches) }
        }
    }

    /// Catches up every ready build with our rules that lags the log (after a crash, or appends
    /// by a process with other rules). Appending processes do this on open.
    @discardableResult
    public func catchUpBuilds(progress: ((BuildProgress) throws -> Void)? = nil) throws -> Int {
        guard !store.isReadOnly else { return 0 }
        let lagging: [BuildInfo] = try store.environment.read { txn in
            let head = try store.head(txn).position
            return try store.buildInfos(txn).filter { $0.status == .ready && store.maintains($0) && $0.checkpoint < head }
        }
        for info in lagging {
            configuration.logger.info("catching up build \(info.number) from position \(info.checkpoint)")
            try store.openBuild(info)
            _ = try catchUp(info.number, chunk: 20_000, progress: progress) { txn, now in
                try txn.put(store.layout.builds, now.number.bigEndianBytes, now.bytes)
                return (false, nil)
            }
        }
        return lagging.count
    }

    /// Makes `number` the build that answers queries (a rollback is activating an older build).
    /// The build must be ready; one with our rules is caught up first.
    public func activate(build number: Int) throws {
        let n = UInt32(clamping: number)
        let info = try store.environment.read { txn in try store.buildInfo(n, txn) }
        guard let info, info.status != .dropped else {
            throw LedgerError.notFound("no build \(number); `ledger projections list` shows the builds")
        }
        guard info.status == .ready else {
            throw LedgerError.usage("build \(number) is still building; finish it with `ledger rebuild`")
        }
        if store.maintains(info) { try catchUpBuilds() }
        try store.environment.write { txn in
            try txn.put(store.layout.meta, LedgerStore.activeKey(info.projection), n.bigEndianBytes)
        }
    }

    /// Deletes a build's data. The active build cannot be dropped (`LedgerError.usage`).
    public func drop(build number: Int) throws {
        let n = UInt32(clamping: number)
        guard let found = try store.environment.read({ txn in try store.buildInfo(n, txn) }), found.status != .dropped else {
            throw LedgerError.notFound("no build \(number); `ledger projections list` shows the builds")
        }
        try store.openBuild(found)
        let storage = found.isBuiltIn ? try store.storage(n) : nil
        let kv = store.customDatabase(n)
        try store.environment.write { txn in
            guard var info = try store.buildInfo(n, txn), info.status != .dropped else {
                throw LedgerError.notFound("no build \(number); `ledger projections list` shows the builds")
            }
            if try store.activeBuildNumber(txn, projection: info.projection) == n {
                throw LedgerError.usage("build \(number) is active; activate another build first, then drop it")
            }
            if let storage {
                try txn.clear(storage.campaigns)
                try txn.clear(storage.contacts)
                try txn.clear(storage.timings)
            }
            if let kv { try txn.clear(kv) }
            info.status = .dropped
            info.fingerprint = Fingerprint()
            try txn.put(store.layout.builds, n.bigEndianBytes, info.bytes)
        }
    }
}

extension Ledger {
    /// Gives every registered custom projection a build with its current rules: a new one is
    /// folded from position 1 (resuming an interrupted one) and becomes the answering build when
    /// the active one has other rules. Runs on open.
    func startCustomProjections() throws {
        guard !store.isReadOnly else { return }
        for projection in store.customProjections.values.sorted(by: { $0.name < $1.name }) {
            let infos: [BuildInfo] = try store.environment.read { txn in try store.buildInfos(txn) }
            let ready = infos.contains { (info: BuildInfo) -> Bool in
                info.projection == projection.name && info.rulesID == projection.rulesID && info.status == .ready
            }
            if ready { continue }
            let active = try store.environment.read { txn -> BuildInfo? in
                guard let n = try store.activeBuildNumber(txn, projection: projection.name) else { return nil }
                return try store.buildInfo(n, txn)
            }
            let replace = active == nil || active?.rulesID != projection.rulesID || active?.status == .dropped
            configuration.logger.info("building custom projection \(projection.name) (rules \(projection.rulesID))")
            _ = try rebuild(projection: projection.name, activate: replace)
        }
    }

    /// The value under `key` in a custom projection's answering build, or nil.
    public func projectionValue(_ projection: String, key: [UInt8]) throws -> [UInt8]? {
        guard let n = try store.answeringBuildNumber(projection: projection), let db = store.customDatabase(n) else {
            throw LedgerError.notFound("no build of projection \(quoted(projection)); register it in Ledger.Configuration.projections")
        }
        return try store.environment.read { txn in try txn.get(db, key) }
    }

    /// The value under a string key (see `projectionValue(_:key:)`).
    public func projectionValue(_ projection: String, key: String) throws -> [UInt8]? {
        try projectionValue(projection, key: Array(key.utf8))
    }

    /// Every entry of a custom projection's answering build whose key starts with `prefix`.
    public func projectionEntries(_ projection: String, prefix: [UInt8] = []) throws -> [(key: [UInt8], value: [UInt8])] {
        guard let n = try store.answeringBuildNumber(projection: projection), let db = store.customDatabase(n) else {
            throw LedgerError.notFound("no build of projection \(quoted(projection)); register it in Ledger.Configuration.projections")
        }
        return try store.environment.read { txn in
            var out: [(key: [UInt8], value: [UInt8])] = []
            try txn.forEach(db, prefix: prefix) { k, v in
                out.append((Array(k), Array(v)))
                return true
            }
            return out
        }
    }
}

/// An exclusive advisory lock on `rebuild.lock` in the store directory: one rebuild at a time.
/// The kernel releases it when the process dies, so a crashed rebuild never blocks the next.
final class RebuildLock {
    private let fd: Int32

    init(path: String) throws {
        fd = open(path + "/rebuild.lock", O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw LedgerError.unavailable("cannot open \(path)/rebuild.lock") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LedgerError.unavailable("another rebuild of \(path) is running; wait for it to finish")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// What the shares of a rebuild's bulk phase hand over to the thread that writes: how far each
/// has read, the campaigns' write order, and each step's records (a campaign's contacts, or its
/// timing entries) from each share. Guarded by its condition (hence `@unchecked Sendable`).
private final class BulkBoard: @unchecked Sendable {
    private let condition = NSCondition()
    private let shares: Int
    private var readUpTo: UInt64 = 0
    private var writeOrder: [Int]?
    private var ready: [Int: [Int: BulkRecords.Part.Campaign]] = [:]
    private var error: (any Error)?
    private var stopped = false

    init(shares: Int) {
        self.shares = shares
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// The position the log has been read up to.
    var checkpoint: UInt64 { locked { readUpTo } }

    /// The error a share or the reading failed with (an internal one when none is recorded).
    var failure: any Error { locked { error ?? LedgerError.internal("the rebuild's bulk phase stopped") } }

    /// Whether the shares should stop (the writer failed, or a share did).
    var isStopped: Bool { locked { stopped || error != nil } }

    func read(upTo position: UInt64) { locked { readUpTo = position } }

    func start(_ order: [Int]) {
        locked {
            if writeOrder == nil { writeOrder = order }
            condition.broadcast()
        }
    }

    func publish(_ step: Int, share: Int, _ records: BulkRecords.Part.Campaign) {
        locked {
            ready[step, default: [:]][share] = records
            condition.broadcast()
        }
    }

    func fail(_ error: any Error) {
        locked {
            if self.error == nil { self.error = error }
            condition.broadcast()
        }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
    }

    /// Waits for `ready` to give a value, calling `tick` (outside the lock) whenever woken
    /// and at least every quarter second; throws a share's error.
    private func wait<R>(tick: () throws -> Void, _ ready: () -> R?) throws -> R {
        while true {
            condition.lock()
            if let error {
                condition.unlock()
                throw error
            }
            if let value = ready() {
                condition.unlock()
                return value
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
            condition.unlock()
            try tick()
        }
    }

    /// The campaigns' write order, once a share has folded the whole log.
    func order(tick: () throws -> Void) throws -> [Int] { try wait(tick: tick) { writeOrder } }

    /// Step `step`'s records from every share, once all have handed them over (forgotten here).
    func take(_ step: Int, tick: () throws -> Void) throws -> [BulkRecords.Part.Campaign] {
        try wait(tick: tick) { takeIfReady(step) }
    }

    /// `take` without waiting: nil while a share has not handed step `step` over.
    func poll(_ step: Int) throws -> [BulkRecords.Part.Campaign]? {
        try locked {
            if let error { throw error }
            return takeIfReady(step)
        }
    }

    private func takeIfReady(_ step: Int) -> [BulkRecords.Part.Campaign]? {
        guard let parts = ready[step], parts.count == shares else { return nil }
        ready[step] = nil
        return (0..<shares).map { parts[$0]! }
    }
}

/// The records the reading thread of a bulk phase sends one share: batches of records copied
/// back to back, a few in flight, each handed back once folded and filled again (so their memory
/// is touched once). Guarded by its condition (hence `@unchecked Sendable`).
private final class RecordFeed: @unchecked Sendable {
    struct Batch: Sendable {
        var bytes: [UInt8] = []
        /// Where each record ends in `bytes`.
        var ends: [Int] = []
        static let size = 512 * 1024

        mutating func add(_ record: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: record)
            ends.append(bytes.count)
        }

        var isFull: Bool { bytes.count >= Self.size }
    }

    private let condition = NSCondition()
    private var full: [Batch] = []
    private var empty: [Batch]
    /// No more batches will come (the log is read, or the reading failed).
    private var closed = false
    /// The share stopped taking batches.
    private var stopped = false

    init(batches: Int) {
        empty = (0..<batches).map { _ in
            var b = Batch()
            b.bytes.reserveCapacity(Batch.size + 4096)
            return b
        }
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// For the reader: a batch to fill, once one is free; nil when the share has stopped.
    func emptyBatch() -> Batch? {
        locked {
            while empty.isEmpty && !stopped { condition.wait() }
            return stopped ? nil : empty.removeLast()
        }
    }

    func send(_ batch: Batch) {
        locked {
            full.append(batch)
            condition.broadcast()
        }
    }

    func close() {
        locked {
            closed = true
            condition.broadcast()
        }
    }

    /// For the share: the next batch, in the order sent; nil once the feed is closed and drained.
    func receive() -> Batch? {
        locked {
            while full.isEmpty && !closed { condition.wait() }
            return full.isEmpty ? nil : full.removeFirst()
        }
    }

    func recycle(_ batch: Batch) {
        var batch = batch
        batch.bytes.removeAll(keepingCapacity: true)
        batch.ends.removeAll(keepingCapacity: true)
        locked {
            empty.append(batch)
            condition.broadcast()
        }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
    }
}
