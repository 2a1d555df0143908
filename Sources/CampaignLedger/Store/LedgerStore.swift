import Foundation
import LMDB
import Synchronization

/// The head of the log (`Ledger.head()`): its last position, that event's recordedAt and chain
/// hash — what to publish as a checkpoint (docs/audit.md) and pass back to `verify`.
public struct LogHead: Sendable, Hashable {
    /// The last position (0 for an empty log).
    public var position: UInt64
    /// When the last event was recorded (µs since 1970, UTC).
    public var recordedAtMicros: Int64
    /// The chain hash at `position` (32 bytes; zeros for an empty log).
    public var hash: [UInt8]

    static let empty = LogHead(position: 0, recordedAtMicros: 0, hash: [UInt8](repeating: 0, count: 32))

    var bytes: [UInt8] { position.bigEndianBytes + recordedAtMicros.bigEndianBytes + hash }

    public init(position: UInt64, recordedAtMicros: Int64, hash: [UInt8]) {
        self.position = position
        self.recordedAtMicros = recordedAtMicros
        self.hash = hash
    }

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count == 48 else { return nil }
        position = UInt64(bigEndianBytes: b)!
        recordedAtMicros = Int64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[8...]))!
        hash = Array(b[16..<48])
    }
}

/// An upgrade of a store's format made when it was opened (`Ledger.migration`).
public struct FormatMigration: Sendable, Hashable {
    /// The format before and after.
    public var from: UInt32
    public var to: UInt32
    /// Events whose index entries were written anew (0 when another process migrated first).
    public var events: UInt64
    public var seconds: Double
}

/// One atomic unit offered to the log: all its events are appended, or none.
struct AppendRequest: Sendable {
    var events: [Event]
    var expectations: [StreamExpectation] = []
    /// For `import --restore`: per event, what the exported ledger assigned, kept and checked.
    var restored: [Restored]? = nil
    /// Provider callbacks through a shared log: an event whose id is known is a duplicate
    /// whatever its content (a retry without the provider's time gets another `at`).
    var anyContentIsDuplicate = false
    /// An import's verdicts on these events, reached before over the store as it was then: used
    /// instead of judging them again when the head shows nobody appended since.
    var judged: JudgedBatch? = nil
}

/// What an export says a ledger assigned to an event: kept by `import --restore`.
struct Restored: Sendable, Hashable {
    var position: UInt64
    var recordedAtMicros: Int64
    var addressSalt: [UInt8]?
    var hash: [UInt8]
}

/// The event log on LMDB: appends (validation, positions, hash chain, indexes, inline
/// projections) and reads. Thread-safe; writes are serialized by LMDB's write transaction.
final class LedgerStore: Sendable {
    /// Every LMDB call of the library goes through it (errors leave as `LedgerError`).
    let environment: StoreEnvironment
    let layout: StoreLayout
    let path: String
    let isReadOnly: Bool
    /// Opened build databases, by build number.
    private let storages = Mutex<[UInt32: BuildStorage]>([:])
    private let customDatabases = Mutex<[UInt32: Database]>([:])
    /// When this open upgraded a store of format 1 (docs/format.md): the events re-indexed and
    /// the seconds it took; nil otherwise.
    let migration: FormatMigration?
    /// The custom projections this process maintains, by name.
    let customProjections: [String: any LedgerProjection]

    /// Opens the ledger at `path`. With `create`, an absent or empty directory becomes a new
    /// ledger; otherwise it must hold one (`LedgerError.storeNotFound`). A directory this
    /// process cannot write is opened read-only (`MDB_RDONLY | MDB_NOLOCK`).
    /// Named databases one process can have open: the log's own (nine), plus four per build that
    /// is not dropped (`maxLiveBuilds`). LMDB searches them linearly on open and sizes each read
    /// transaction's tables by this number, so it is kept moderate.
    static let maxDatabases: UInt32 = 272
    /// Builds (not dropped) a store can hold; a rebuild past this asks to drop old ones.
    static let maxLiveBuilds = 64

    init(path: String, create: Bool, mapSize: Int = 64 << 30, projections: [any LedgerProjection] = []) throws {
        customProjections = Dictionary(projections.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let opened = try LedgerStore.openEnvironment(path: path, create: create, mapSize: mapSize)
        environment = opened.environment
        layout = opened.layout
        isReadOnly = opened.readOnly
        migration = opened.migration
        self.path = path
        for info in try environment.read({ txn in try LedgerStore.buildInfos(layout, txn) }) where info.status != .dropped {
            try openBuild(info)
        }
    }

    private static func openEnvironment(
        path: String, create: Bool, mapSize: Int
    ) throws -> (environment: StoreEnvironment, layout: StoreLayout, readOnly: Bool, migration: FormatMigration?) {
        let dataFile = path + "/data.mdb"
        let exists = FileManager.default.fileExists(atPath: dataFile)
        if !exists && !create { throw LedgerError.storeNotFound(path: path) }
        var options = Environment.Options()
        options.mapSize = mapSize
        options.maxMapSize = max(mapSize, 1 << 42)
        options.maxDatabases = LedgerStore.maxDatabases
        let writable = !exists || (access(path, W_OK) == 0 && access(dataFile, W_OK) == 0)
        options.readOnly = !writable
        options.create = create
        let environment: StoreEnvironment
        let meta: Database
        do {
            let lmdb = try Environment.open(path: path, options: options)
            environment = StoreEnvironment(lmdb: lmdb, path: path)
            meta = try lmdb.openDatabases(["meta"], create: writable)[0]
        } catch {
            if error == .notFound { throw LedgerError.storeNotFound(path: path) }
            throw translate(error, path: path)
        }
        let format = try readFormat(environment, meta)
        var migration: FormatMigration?
        if let format, format > StoreLayout.formatVersion {
            throw LedgerError.unavailable(
                "\(path) is a ledger of format \(format); this ledger reads format \(StoreLayout.formatVersion) and older. Use a newer ledger binary")
        }
        if format == 1 {
            guard writable else {
                throw LedgerError.unavailable(
                    "\(path) is a ledger of format 1, which this ledger upgrades in place: open it once with write access (`ledger migrate --store \(path)`)")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let events = try migrateFormatOne(environment, meta)
            migration = FormatMigration(
                from: 1, to: StoreLayout.formatVersion, events: events,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let dbs: [Database]
        do {
            dbs = try environment.lmdb.openDatabases(StoreLayout.names, create: writable, kinds: StoreLayout.kinds)
        } catch {
            if error == .notFound { throw LedgerError.storeNotFound(path: path) }
            throw translate(error, path: path)
        }
        var layout = StoreLayout(dbs)
        do throws(LMDBError) {
            let exists = try environment.lmdb.databaseExists(StoreLayout.parkedName)
            if writable || exists {
                layout.parked = try environment.lmdb.openDatabases([StoreLayout.parkedName], create: writable)[0]
            }
        } catch {
            throw translate(error, path: path)
        }
        if format == nil {
            guard writable else { throw LedgerError.storeNotFound(path: path) }
            try initialize(environment, layout)
        }
        return (environment, layout, !writable, migration)
    }

    private static func readFormat(_ environment: StoreEnvironment, _ meta: Database) throws -> UInt32? {
        try environment.read { txn in try readFormat(meta, txn) }
    }

    private static func readFormat(_ meta: Database, _ txn: borrowing Transaction) throws -> UInt32? {
        try txn.get(meta, StoreLayout.formatKey).flatMap { UInt32(bigEndianBytes: $0) }
    }

    /// Upgrades a store of format 1 to format 2 (docs/format.md, "Format 1 and the migration"),
    /// in one write transaction, so a crash leaves format 1 whole and the next open does it
    /// again: the three indexes are made anew from the log (`ids`, `campaign_positions`,
    /// `contact_positions`), format 1's are dropped, `meta.format` becomes 2. Event records,
    /// positions, `recordedAt`, hashes, the registry and the projection builds stay as they are.
    /// Returns the number of events indexed (0 when another process migrated first).
    @discardableResult
    static func migrateFormatOne(_ environment: StoreEnvironment, _ meta: Database) throws -> UInt64 {
        let lmdb = environment.lmdb
        let (old, new): ([Database], [Database])
        do {
            old = try lmdb.openDatabases(["events"] + StoreLayout.formatOneIndexes, create: false)
            new = try lmdb.openDatabases(
                ["ids", "campaign_positions", "contact_positions"], create: true, kinds: StoreLayout.kinds)
        } catch {
            throw translate(error, path: environment.path)
        }
        let indexed: UInt64 = try environment.write { txn in
            guard try readFormat(meta, txn) == 1 else { return 0 }
            for db in new { try txn.clear(db) }
            var count: UInt64 = 0
            try txn.forEach(old[0]) { key, value in
                let view: RecordView
                do {
                    view = try RecordView(value)
                } catch {
                    throw LedgerError.corrupted(
                        "the event at position \(UInt64(bigEndianBytes: key) ?? 0) does not decode (\(error)); nothing was migrated")
                }
                guard let id = view.idString(), let campaign = view.string(view.spans.campaign) else {
                    throw LedgerError.corrupted("the event at position \(view.position) has no id; nothing was migrated")
                }
                try txn.put(new[0], StoreLayout.idKey(id), Array(key), flags: .noDuplicateValue)
                try txn.put(new[1], StoreLayout.campaignPrefix(campaign), Array(key), flags: .appendDuplicate)
                if view.isContactReport, let contact = view.string(view.spans.contact) {
                    try txn.put(new[2], StoreLayout.contactStreamPrefix(campaign, contact), Array(key), flags: .appendDuplicate)
                }
                count += 1
                return true
            }
            for db in old.dropFirst() { try txn.drop(db) }
            try txn.put(meta, StoreLayout.formatKey, StoreLayout.formatVersion.bigEndianBytes)
            return count
        }
        for name in StoreLayout.formatOneIndexes { lmdb.forgetDatabase(name) }
        return indexed
    }

    // MARK: Builds

    static func buildInfos(_ layout: StoreLayout, _ txn: borrowing Transaction) throws -> [BuildInfo] {
        var out: [BuildInfo] = []
        try txn.forEach(layout.builds) { key, value in
            guard key.count == 4, let number = UInt32(bigEndianBytes: key), let info = BuildInfo(number: number, value) else {
                throw LedgerError.corrupted("a record of `builds` does not decode")
            }
            out.append(info)
            return true
        }
        return out
    }

    func buildInfos(_ txn: borrowing Transaction) throws -> [BuildInfo] {
        try LedgerStore.buildInfos(layout, txn)
    }

    func buildInfo(_ number: UInt32, _ txn: borrowing Transaction) throws -> BuildInfo? {
        guard let raw = try txn.get(layout.builds, number.bigEndianBytes) else { return nil }
        return raw.withUnsafeBytes { BuildInfo(number: number, $0) }
    }

    /// `active_build` for the built-in projections, `active_build/NAME` for a custom one.
    static func activeKey(_ projection: String) -> [UInt8] {
        projection == BuiltInProjection.name ? StoreLayout.activeBuildKey : StoreLayout.activeBuildKey + Array("/\(projection)".utf8)
    }

    func activeBuildNumber(_ txn: borrowing Transaction, projection: String = BuiltInProjection.name) throws -> UInt32? {
        guard let raw = try txn.get(layout.meta, Self.activeKey(projection)) else {
            return projection == BuiltInProjection.name ? 1 : nil
        }
        return UInt32(bigEndianBytes: raw)
    }

    /// Whether this process maintains the build: its projection is known here with the same rules.
    func maintains(_ info: BuildInfo) -> Bool {
        if info.isBuiltIn { return info.rulesID == BuiltInProjection.rulesID }
        return customProjections[info.projection]?.rulesID == info.rulesID
    }

    /// Opens a build's databases (outside any transaction of this thread).
    func openBuild(_ info: BuildInfo) throws {
        if info.isBuiltIn {
            _ = try storage(info.number)
        } else if customDatabases.withLock({ $0[info.number] }) == nil {
            let db = try environment.openDatabases(["b\(info.number).kv"], create: !isReadOnly)[0]
            customDatabases.withLock { $0[info.number] = db }
        }
    }

    func customDatabase(_ number: UInt32) -> Database? { customDatabases.withLock { $0[number] } }

    /// The applier of a build this process maintains, or nil when it does not; throws
    /// `MissingStorage` when its databases are not open yet.
    func applier(_ info: BuildInfo) throws -> BuildApplier? {
        guard maintains(info) else { return nil }
        if info.isBuiltIn {
            guard let s = storages.withLock({ $0[info.number] }) else { throw MissingStorage(number: info.number) }
            return .builtIn(ProjectionBatch(build: s, info: info))
        }
        guard let db = customDatabase(info.number) else { throw MissingStorage(number: info.number) }
        return .custom(CustomBatch(projection: customProjections[info.projection]!, db: db, info: info))
    }

    /// The build's databases, opened once per process (never inside another transaction of
    /// this thread: opening runs its own).
    /// The build's databases when this process has opened them (never opens: usable inside a
    /// transaction).
    func openedStorage(_ number: UInt32) -> BuildStorage? { storages.withLock { $0[number] } }

    /// Every built-in build this process has opened.
    var openedStorages: [BuildStorage] { storages.withLock { Array($0.values) }.sorted { $0.number < $1.number } }

    func storage(_ number: UInt32) throws -> BuildStorage {
        if let s = storages.withLock({ $0[number] }) { return s }
        let s = try environment.translated { try BuildStorage(number: number, environment: environment.lmdb, create: !isReadOnly) }
        storages.withLock { $0[number] = s }
        return s
    }

    /// The build that answers queries (DESIGN.md §4): the active one when this code has its rules,
    /// else the newest ready build with our rules, else the active one.
    func answeringBuild() throws -> BuildStorage {
        try storage(answeringBuildNumber(projection: BuiltInProjection.name) ?? 1)
    }

    func answeringBuildNumber(projection: String) throws -> UInt32? {
        try environment.read { txn in
            let active = try activeBuildNumber(txn, projection: projection)
            let infos = try buildInfos(txn).filter { $0.projection == projection && $0.status != .dropped }
            if let a = infos.first(where: { $0.number == active }), maintains(a) { return a.number }
            return infos.last(where: { $0.status == .ready && maintains($0) })?.number ?? active
        }
    }

    /// Writes the format version and build 1 into a new store.
    private static func initialize(_ environment: StoreEnvironment, _ layout: StoreLayout) throws {
        let info = BuildInfo(
            number: 1, status: .ready, version: UInt32(BuiltInProjection.version),
            rulesID: BuiltInProjection.rulesID, checkpoint: 0, createdMicros: Clock.nowMicros())
        try environment.write { txn in
            try txn.put(layout.meta, StoreLayout.formatKey, StoreLayout.formatVersion.bigEndianBytes)
            try txn.put(layout.builds, UInt32(1).bigEndianBytes, info.bytes)
            try txn.put(layout.meta, StoreLayout.activeBuildKey, UInt32(1).bigEndianBytes)
        }
    }

    /// The `LedgerError` an LMDB error means, for the store (or backup) at `path`: the one
    /// mapping, used by `StoreEnvironment` for every call and by open and backup.
    static func translate(_ e: LMDBError, path: String) -> LedgerError {
        if e.isDiskFull {
            return .unavailable("the disk holding \(path) is full (\(e.name)); nothing was written; free space and retry")
        }
        if e == .accessDenied || e.code == EROFS {
            return .unavailable("\(path) is read-only (\(e.name)); writes need a writable store")
        }
        if e == .noSuchFile { return .storeNotFound(path: path) }
        if e == .corrupted || e == .pageNotFound || e == .invalid {
            return .corrupted("\(e.description) in \(path)")
        }
        return .internal("\(e.description) (\(path))")
    }

    // MARK: Reading

    func head(_ txn: borrowing Transaction) throws -> LogHead {
        guard let raw = try txn.get(layout.meta, StoreLayout.headKey) else { return .empty }
        guard let head = raw.withUnsafeBytes({ LogHead($0) }) else {
            throw LedgerError.corrupted("the stored head is \(raw.count) bytes, not 48")
        }
        return head
    }

    func head() throws -> LogHead {
        try environment.read { txn in try head(txn) }
    }

    func record(at position: UInt64, _ txn: borrowing Transaction) throws -> RecordedEvent? {
        try position.bigEndianBytes.withUnsafeBytes { key in
            guard let bytes = try txn.get(layout.events, key) else { return nil }
            do {
                return try EventRecord.decode(bytes)
            } catch {
                throw LedgerError.corrupted("the event at position \(position) does not decode (\(error))")
            }
        }
    }

    /// Events from `position` on, at most `limit`, in one short read transaction.
    func records(from position: UInt64, limit: Int) throws -> [RecordedEvent] {
        try environment.read { txn in
            var out: [RecordedEvent] = []
            out.reserveCapacity(min(limit, 4096))
            try txn.forEach(layout.events, from: max(position, 1).bigEndianBytes) { key, value in
                do {
                    out.append(try EventRecord.decode(value))
                } catch {
                    throw LedgerError.corrupted(
                        "the event at position \(UInt64(bigEndianBytes: key) ?? 0) does not decode (\(error))")
                }
                return out.count < limit
            }
            return out
        }
    }

    /// The database and key of a campaign's stream (contact nil) or of a contact's.
    func stream(campaign: String, contact: String?) -> (db: Database, key: [UInt8]) {
        if let contact { return (layout.contactStreams, StoreLayout.contactStreamPrefix(campaign, contact)) }
        return (layout.campaignStreams, StoreLayout.campaignPrefix(campaign))
    }

    /// Positions in a campaign's stream (contact nil) or a contact's stream, in order.
    func streamPositions(campaign: String, contact: String?, _ txn: borrowing Transaction) throws -> [UInt64] {
        let (db, key) = stream(campaign: campaign, contact: contact)
        return try Self.positions(db, key, txn)
    }

    /// The positions stored under `key` in a database of sorted positions, in order.
    static func positions(_ db: Database, _ key: [UInt8], _ txn: borrowing Transaction) throws -> [UInt64] {
        try txn.withCursor(db) { cursor in
            var out: [UInt64] = []
            guard try cursor.seek(exactly: key) != nil else { return out }
            try cursor.forEachDuplicateBlock { block in
                out.reserveCapacity(out.count + block.count / 8)
                var i = 0
                while i + 8 <= block.count {
                    out.append(UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: block[i..<i + 8]))!)
                    i += 8
                }
                return true
            }
            return out
        }
    }

    /// The first (`last` false) or last position of a stream, or nil when it is empty.
    func streamEnd(campaign: String, contact: String?, last: Bool, _ txn: borrowing Transaction) throws -> UInt64? {
        let (db, key) = stream(campaign: campaign, contact: contact)
        return try txn.withCursor(db) { cursor in
            guard let first = try cursor.seek(exactly: key) else { return nil }
            let entry = last ? try cursor.lastDuplicate() : first
            return entry.flatMap { UInt64(bigEndianBytes: $0.value) }
        }
    }

    /// Whether `position` is in the stream.
    func streamContains(campaign: String, contact: String?, _ position: UInt64, _ txn: borrowing Transaction) throws -> Bool {
        let (db, key) = stream(campaign: campaign, contact: contact)
        return try txn.withCursor(db) { cursor in try cursor.seek(exactly: key, value: position.bigEndianBytes) != nil }
    }

    func streamVersion(_ e: StreamExpectation, _ txn: borrowing Transaction) throws -> UInt64 {
        try streamEnd(campaign: e.campaign, contact: e.contact, last: true, txn) ?? 0
    }

    /// The position of the event whose id is `id`, or nil: the positions under the id's digest
    /// in `ids`, each checked against its record's id (two ids may share a digest prefix).
    static func position(ofID id: String, _ layout: StoreLayout, _ txn: borrowing Transaction) throws -> UInt64? {
        var id = id
        return try id.withUTF8 { utf8 in
            for position in try Self.positions(layout.ids, StoreLayout.idKey(utf8: UnsafeRawBufferPointer(utf8)), txn) {
                guard let bytes = try position.bigEndianBytes.withUnsafeBytes({ try txn.get(layout.events, $0) }) else {
                    throw LedgerError.corrupted("an event id's entry points at position \(position), which has no event")
                }
                let view: RecordView
                do {
                    view = try RecordView(bytes)
                } catch {
                    throw LedgerError.corrupted("the event at position \(position) does not decode (\(error))")
                }
                if view.idEquals(UnsafeRawBufferPointer(utf8)) { return position }
            }
            return nil
        }
    }

    // MARK: Appending

    /// Appends requests in one write transaction (group commit). Each request is atomic: its
    /// result is its per-event outcomes, or the error that rejected all of it.
    func append(_ requests: [AppendRequest]) throws -> [Result<[AppendOutcome], LedgerError>] {
        guard !isReadOnly else {
            throw LedgerError.unavailable("\(path) is opened read-only; appends need a writable store")
        }
        while true {
            do {
                return try environment.write { txn in try appendInTransaction(requests, txn) }
            } catch let missing as MissingStorage {
                // A build another process made ready: open it, retry.
                if let info = try environment.read({ txn in try buildInfo(missing.number, txn) }) { try openBuild(info) }
            }
        }
    }

    func appendInTransaction(
        _ requests: [AppendRequest], _ txn: borrowing Transaction
    ) throws -> [Result<[AppendOutcome], LedgerError>] {
        let session = try AppendSession(self, expectedEvents: requests.reduce(0) { $0 + $1.events.count }, txn)
        var results: [Result<[AppendOutcome], LedgerError>] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            session.validator.beginRequest()
            var admitted: [Admission] = []
            if let judged = request.judged, canAdopt(judged, request, session) {
                // Validate once: the import judged these events over this very state.
                admitted = judged.admissions
                let appended = admitted.reduce(0) { n, a in if case .append = a { n + 1 } else { n } }
                session.validator.adopt(appended: appended, changes: judged.changes)
            } else {
                admitted.reserveCapacity(request.events.count)
                do {
                    for e in request.expectations {
                        let actual = try streamVersion(e, txn)
                        if actual != e.version {
                            throw LedgerError.versionConflict(
                                stream: e.contact.map { "\(e.campaign)/\($0)" } ?? e.campaign, expected: e.version, actual: actual)
                        }
                    }
                    for (index, event) in request.events.enumerated() {
                        do {
                            admitted.append(try session.validator.admit(event, txn))
                        } catch let e as InputError {
                            throw LedgerError.invalidInput(e, index: index + 1)
                        }
                    }
                } catch let e as LedgerError {
                    session.validator.rejectRequest()
                    results.append(.failure(e))
                    continue
                }
            }
            if let restored = request.restored, let problem = Self.restoreProblem(admitted, restored, session.head) {
                session.validator.rejectRequest()
                results.append(.failure(problem))
                continue
            }
            session.validator.acceptRequest()
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(admitted.count)
            var recordedRefs: [String] = []
            for (index, admission) in admitted.enumerated() {
                switch admission {
                case .append(let event, let position):
                    try session.write(event, position: position, restored: request.restored?[index], index: index, txn)
                    if session.parkedCount > 0, let ref = event.providerRef, event.contact != nil { recordedRefs.append(ref) }
                    outcomes.append(.appended(position: position, id: event.id!))
                case .duplicate(let position):
                    let id = request.events[index].id!
                    try session.redelivered(id: id, repeats: position, txn)
                    outcomes.append(.duplicate(position: position, id: id))
                }
            }
            // Callbacks that waited for these message ids follow the events that record them.
            if request.restored == nil {
                for ref in recordedRefs { try applyParked(ref: ref, session, txn) }
            }
            results.append(.success(outcomes))
        }
        try session.finish(txn)
        return results
    }

    /// Whether a request's earlier verdicts still hold: the head is the one they were reached
    /// at and nothing else is appended in this transaction before them (positions and every
    /// registry entry and id they were judged against are then as they were), no stream
    /// expectation is to be checked, and no parked callback can follow them (its events would
    /// be judged against the registry this transaction has not written yet).
    private func canAdopt(_ judged: JudgedBatch, _ request: AppendRequest, _ session: AppendSession) -> Bool {
        judged.admissions.count == request.events.count && request.expectations.isEmpty
            && session.parkedCount == 0 && session.head.position + 1 == judged.firstPosition
            && session.validator.nextPosition == judged.firstPosition
    }

    /// A restore keeps what the export says and checks it: no gap, no repeated id, time never
    /// going back (the chain hash of every event is checked as it is written).
    static func restoreProblem(_ admitted: [Admission], _ restored: [Restored], _ head: LogHead) -> LedgerError? {
        var recorded = head.recordedAtMicros
        for (index, admission) in admitted.enumerated() {
            guard case .append(_, let position) = admission else {
                return .invalidInput(InputError(field: "id", message: "a repeated event id: an export has none"), index: index + 1)
            }
            let given = restored[index]
            if given.position != position {
                return .invalidInput(
                    InputError(field: "position", message: "is \(given.position), expected \(position): a gap or a reordering"),
                    index: index + 1)
            }
            if given.recordedAtMicros < recorded {
                return .invalidInput(InputError(field: "recordedAt", message: "goes back in time"), index: index + 1)
            }
            recorded = given.recordedAtMicros
        }
        return nil
    }

    /// Writes one event and its indexes; returns it as recorded (with its chain hash).
    func writeEvent(
        _ event: Event, position: UInt64, recordedAt: Int64, salt: [UInt8]?, previous: [UInt8], _ txn: borrowing Transaction
    ) throws -> RecordedEvent {
        var record = RecordedEvent(
            position: position, recordedAtMicros: recordedAt, event: event,
            addressSalt: event.type == .contactAdded && event.erasedAddress == nil ? (salt ?? Self.randomSalt()) : nil,
            hash: [])
        record.hash = ExportLine.chain(previous: previous, digest: ExportLine.digest(record))
        let key = position.bigEndianBytes
        try txn.put(layout.events, key, EventRecord.encode(record), flags: .append)
        try txn.put(layout.ids, StoreLayout.idKey(event.id!), key, flags: .noDuplicateValue)
        try txn.put(layout.campaignStreams, StoreLayout.campaignPrefix(event.campaign), key, flags: .appendDuplicate)
        if let contact = event.contact, event.type.isContactEvent {
            try txn.put(layout.contactStreams, StoreLayout.contactStreamPrefix(event.campaign, contact), key, flags: .appendDuplicate)
        }
        return record
    }

    /// 16 random bytes from the system's CSPRNG: two 64-bit draws (each a system call here, so
    /// not one per byte).
    static func randomSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (g.next() as UInt64).bigEndianBytes + (g.next() as UInt64).bigEndianBytes
    }

    // MARK: Redeliveries

    /// The side record of skipped re-deliveries, in the order received (by sequence number).
    func redeliveries(_ txn: borrowing Transaction) throws -> [Redelivery] {
        var out: [Redelivery] = []
        try txn.forEach(layout.redeliveries) { key, value in
            if let r = Redelivery(value, sequence: UInt64(bigEndianBytes: key) ?? 0) { out.append(r) }
            return true
        }
        return out
    }
}
