import Foundation
import LMDB
import Logging

/// One projection build as `Ledger.builds()` lists it (and `ledger projections list` shows it):
/// which projection and rules it holds, how far it has applied the log, and whether it answers.
public struct BuildSummary: Sendable, Hashable {
    /// Where a build stands.
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
    /// The build's number (what `activate(build:)` and `drop(build:)` take).
    public var number: Int
    /// `campaigns` (`BuiltInProjection.name`) for the built-in projections, else a custom
    /// projection's name.
    public var projection: String
    public var state: State
    /// The version of the rules that made it (a number for people).
    public var version: Int
    /// The rules that made it (`BuiltInProjection.rulesID` or `LedgerProjection.rulesID`).
    public var rulesID: String
    /// The last position of the log it has applied.
    public var checkpoint: UInt64
    /// Events between its checkpoint and the head.
    public var lag: UInt64
    /// The size of its databases.
    public var bytes: Int
    /// How fast it was built (events per second).
    public var eventsPerSecond: UInt64
    /// When it was created (µs since 1970, UTC).
    public var createdMicros: Int64
    /// The fingerprint of its data in lowercase hex: equal data, equal fingerprint.
    public var fingerprint: String

    /// The element of `ledger projections list --json`.
    public var json: JSONOutput {
        .object([
            ("build", .int(Int64(number))), ("projection", .string(projection)), ("state", .string(state.rawValue)), ("version", .int(Int64(version))),
            ("rulesId", .string(rulesID)), ("checkpoint", .int(Int64(checkpoint))), ("lag", .int(Int64(lag))),
            ("bytes", .int(Int64(bytes))), ("eventsPerSecond", .int(Int64(eventsPerSecond))),
            ("createdAt", .string(RFC3339.formatMicros(createdMicros))), ("fingerprint", .string(fingerprint)),
        ])
    }
}

/// What `Ledger.rebuild` did.
public struct RebuildSummary: Sendable {
    /// The number of the new build.
    public var build: Int
    /// Events applied.
    public var events: UInt64
    public var seconds: Double
    public var eventsPerSecond: Double
    /// Whether the new build now answers queries.
    public var activated: Bool
    /// With `verify`: whether the new build's fingerprint equals the active build's at the same
    /// position (nil when not compared: other rules, or not asked).
    public var fingerprintMatches: Bool?
    /// Whether it resumed an interrupted rebuild of the same rules.
    public var resumed: Bool

    /// `ledger rebuild --json`.
    public var json: JSONOutput {
        .object([
            ("build", .int(Int64(build))), ("events", .int(Int64(events))), ("seconds", .double(seconds)),
            ("eventsPerSecond", .int(Int64(eventsPerSecond))), ("activated", .bool(activated)),
            ("fingerprintMatches", fingerprintMatches.map(JSONOutput.bool) ?? .null), ("resumed", .bool(resumed)),
        ])
    }
}

/// Progress of a rebuild or catch-up, reported to the `progress` closure now and then.
public struct BuildProgress: Sendable {
    /// The build being filled.
    public var build: Int
    /// The last position it has applied so far.
    public var checkpoint: UInt64
    /// The head it is catching up with.
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
                var dbs = storages.filter { $0.number == info.number }.flatMap(\.all)
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
    @discardableResult
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
                for db in storage.all { try txn.clear(db) }
            }
            if let kv { try txn.clear(kv) }
            info.status = .dropped
            info.fingerprint = Fingerprint()
            try txn.put(store.layout.builds, n.bigEndianBytes, info.bytes)
        }
    }
}
