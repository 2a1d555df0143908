import Foundation
import LMDB
public import Logging
import Metrics

/// An embedded campaign ledger: an append-only, hash-chained log of campaign and contact events
/// on LMDB, with inline projections (contact state, campaign status, metrics) that reflect an
/// append as soon as it returns.
///
/// ```swift
/// let ledger = try Ledger(.init(path: "/var/lib/campaigns"))
/// try await ledger.append([event])
/// let status = try ledger.campaign("spring")?.status
/// ```
///
/// One `Ledger` per store per process is enough; it is `Sendable` and safe to share. Several
/// processes may open the same store.
public final class Ledger: Sendable {
    /// This library's version.
    public static let version = "0.1.0"

    /// How to open a ledger.
    public struct Configuration: Sendable {
        /// The store directory.
        public var path: String
        /// Create a new, empty ledger when `path` holds none (else `LedgerError.storeNotFound`).
        public var createIfMissing: Bool
        /// Where the ledger logs (opening, catch-up, errors). Pass your service's logger.
        public var logger: Logger
        /// Initial LMDB map size (address space; the file grows only as used, and the map
        /// grows by itself when needed).
        public var mapSize: Int
        /// Custom projections to maintain beside the built-in ones (docs/custom-projections.md).
        public var projections: [any LedgerProjection]
        /// Whether opening may write to bring projection builds up to date (catch up lagging
        /// builds, fold newly registered custom projections). Appending processes do; a process
        /// that only reads (a query command) passes false and never writes (DESIGN.md §4).
        public var catchUpOnOpen = true
        /// A log shared with other hosts (docs/scale-out.md), e.g. `PostgresLog` of the
        /// `CampaignLedgerPostgres` product: it becomes the authority for positions, ids and the
        /// chain, and this store its replica. Appends are acknowledged once the shared log
        /// committed them and this store applied them; `catchUpWithLog()` and `followLog` apply
        /// what other hosts appended. Nil (the default): the store alone is the log.
        public var sharedLog: (any SharedLog)? = nil

        /// A ledger at `path`, created when missing, logging to `logger`, with the built-in
        /// projections and the custom ones in `projections`.
        public init(
            path: String, createIfMissing: Bool = true,
            logger: Logger = Logger(label: "campaign-ledger"), mapSize: Int = 64 << 30,
            projections: [any LedgerProjection] = []
        ) {
            self.path = path
            self.createIfMissing = createIfMissing
            self.logger = logger
            self.mapSize = mapSize
            self.projections = projections
        }
    }

    let store: LedgerStore
    /// The store as a replica of `configuration.sharedLog`, when there is one.
    let replica: LogReplica?

    /// When opening upgraded a store of an older format in place (docs/format.md, "Format 1 and
    /// the migration"): what was done; nil when the store was already current.
    public var migration: FormatMigration? { store.migration }

    /// The store format this library writes (docs/format.md).
    public static var storeFormat: UInt32 { StoreLayout.formatVersion }
    public let configuration: Configuration
    private let committer: GroupCommitter<AppendRequest, AppendOutcome>
    let callbackCommitter: GroupCommitter<CallbackBatch, CallbackOutcome>
    private let appended: Counter
    private let duplicates: Counter
    private let rejected: Counter
    private let commitLatency: Metrics.Timer

    /// Opens (or creates) the ledger described by `configuration`.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let store = try LedgerStore(
            path: configuration.path, create: configuration.createIfMissing, mapSize: configuration.mapSize,
            projections: configuration.projections)
        self.store = store
        let replica = configuration.sharedLog.map { LogReplica(store: store, log: $0) }
        self.replica = replica
        appended = Counter(label: "ledger_events_appended")
        duplicates = Counter(label: "ledger_events_duplicate")
        rejected = Counter(label: "ledger_requests_rejected")
        let latency = Metrics.Timer(label: "ledger_commit_seconds")
        commitLatency = latency
        committer = GroupCommitter { requests in
            let start = DispatchTime.now().uptimeNanoseconds
            defer { latency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
            if let replica {
                let results = try runBlocking { try await replica.append(requests) }
                // Callbacks parked on this host for a message id these events record follow
                // them; the appends are acknowledged whatever becomes of that.
                do { try runBlocking { try await replica.drainParked() } } catch {
                    configuration.logger.warning("parked callbacks not applied after an append: \(error)")
                }
                return results
            }
            return try store.append(requests)
        }
        callbackCommitter = GroupCommitter { batches in
            let start = DispatchTime.now().uptimeNanoseconds
            defer { latency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
            if let replica { return try runBlocking { try await replica.receive(batches) } }
            return try store.receive(batches)
        }
        configuration.logger.debug(
            "opened ledger", metadata: ["path": "\(configuration.path)", "readOnly": "\(store.isReadOnly)"])
        if let m = store.migration, m.events > 0 {
            configuration.logger.notice(
                "upgraded the store from format \(m.from) to \(m.to): \(m.events) events re-indexed",
                metadata: ["path": "\(configuration.path)", "seconds": "\(m.seconds)"])
        }
        // A build with our rules that lags the log (a crash, or appends by a process with other
        // rules) is caught up before this process serves queries.
        if configuration.catchUpOnOpen {
            try catchUpBuilds()
            try startCustomProjections()
            try fillMissingProviderRefs()
        }
    }

    /// Builds written before the `providerRef` index existed get it filled up to their
    /// checkpoint (once: the index is kept inline from then on).
    private func fillMissingProviderRefs() throws {
        guard !store.isReadOnly else { return }
        for storage in store.openedStorages where storage.refsWereMissing {
            guard let info = try store.environment.read({ txn in try store.buildInfo(storage.number, txn) }),
                info.status != .dropped, info.checkpoint > 0
            else { continue }
            configuration.logger.info("filling the provider-refs index of build \(storage.number)")
            try foldProviderRefs(storage, through: info.checkpoint)
        }
    }

    deinit {
        committer.stop()
        callbackCommitter.stop()
    }

    /// The store directory.
    public var path: String { store.path }
    /// Whether the store was opened read-only (its directory is not writable).
    public var isReadOnly: Bool { store.isReadOnly }

    // MARK: Appending

    /// Appends `events` atomically: all of them, or none (the error says which event broke which
    /// rule). Events without an `id` get a random one. Returns, per event, `appended` with its
    /// position or `duplicate` with the position of the event it repeats. When it returns, the
    /// events are on disk and every query of this process reflects them. Concurrent calls share
    /// commits (group commit).
    ///
    /// - Parameter expecting: optimistic concurrency: each stream must be at the given version.
    @discardableResult
    public func append(_ events: [Event], expecting: [StreamExpectation] = []) async throws -> [AppendOutcome] {
        let request = AppendRequest(events: events.map(Self.withID), expectations: expecting)
        let result: Result<[AppendOutcome], any Error> = await withCheckedContinuation { continuation in
            committer.submit(request) { continuation.resume(returning: $0) }
        }
        return try record(result)
    }

    /// `append` for synchronous callers (a command-line tool, a test). Blocks until committed.
    @discardableResult
    public func appendAndWait(_ events: [Event], expecting: [StreamExpectation] = []) throws -> [AppendOutcome] {
        let request = AppendRequest(events: events.map(Self.withID), expectations: expecting)
        let result = try appendBatch([request])[0].mapError { $0 as any Error }
        return try record(result)
    }

    private func record(_ result: Result<[AppendOutcome], any Error>) throws -> [AppendOutcome] {
        switch result {
        case .success(let outcomes):
            var added = 0
            for o in outcomes { if case .appended = o { added += 1 } }
            appended.increment(by: added)
            duplicates.increment(by: outcomes.count - added)
            return outcomes
        case .failure(let error):
            rejected.increment()
            throw error
        }
    }

    /// Appends already-validated requests in one transaction (the importer's batches).
    func appendBatch(_ requests: [AppendRequest]) throws -> [Result<[AppendOutcome], LedgerError>] {
        if let replica { return try runBlocking { try await replica.append(requests) } }
        return try store.append(requests)
    }

    static func withID(_ event: Event) -> Event {
        guard event.id == nil else { return event }
        var e = event
        e.id = randomEventID()
        return e
    }

    /// A random id for an event given without one: `ev-` and 32 hex digits.
    static func randomEventID() -> String {
        var g = SystemRandomNumberGenerator()
        let hi = g.next() as UInt64
        let lo = g.next() as UInt64
        let bytes: [UInt8] = hi.bigEndianBytes + lo.bigEndianBytes
        return "ev-\(hex(bytes))"
    }

    // MARK: Reading the log

    /// The last position, its recordedAt and chain hash.
    public func head() throws -> LogHead { try store.head() }

    /// The event at `position`, or nil.
    public func event(at position: UInt64) throws -> RecordedEvent? {
        try store.environment.read { txn in try store.record(at: position, txn) }
    }

    /// Up to `limit` events from `position` on, in position order.
    public func events(from position: UInt64, limit: Int = 10_000) throws -> [RecordedEvent] {
        try store.records(from: position, limit: limit)
    }

    /// Every event of a campaign (or of one contact in it), in position order.
    public func events(campaign: String, contact: String? = nil) throws -> [RecordedEvent] {
        try store.environment.read { txn in
            try store.streamPositions(campaign: campaign, contact: contact, txn).map { p in
                guard let r = try store.record(at: p, txn) else {
                    throw LedgerError.corrupted("stream entry of \(campaign) points at position \(p), which has no event")
                }
                return r
            }
        }
    }

    /// Follows the log: yields every event from `position` on, then new ones as they are
    /// appended (by this or another process; other processes are noticed by polling the head
    /// every `pollInterval`). Ends when the consuming task is cancelled.
    public func subscribe(
        from position: UInt64 = 1, pollInterval: Duration = .milliseconds(100)
    ) -> AsyncThrowingStream<RecordedEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var next = max(position, 1)
                do {
                    while !Task.isCancelled {
                        let chunk = try self.events(from: next, limit: 1000)
                        for r in chunk { continuation.yield(r) }
                        if let last = chunk.last { next = last.position + 1 }
                        if chunk.count < 1000 { try await Task.sleep(for: pollInterval) }
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Lowercase hex of bytes.
func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
