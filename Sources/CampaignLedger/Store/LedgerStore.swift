import Foundation
import LMDB

/// The head of the log: its last position, that event's recordedAt and chain hash.
public struct LogHead: Sendable, Hashable {
    public var position: UInt64
    public var recordedAtMicros: Int64
    public var hash: [UInt8]

    static let empty = LogHead(position: 0, recordedAtMicros: 0, hash: [UInt8](repeating: 0, count: 32))

    var bytes: [UInt8] { position.bigEndianBytes + recordedAtMicros.bigEndianBytes + hash }

    init(position: UInt64, recordedAtMicros: Int64, hash: [UInt8]) {
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

/// One atomic unit offered to the log: all its events are appended, or none.
struct AppendRequest: Sendable {
    var events: [Event]
    var expectations: [StreamExpectation] = []
}

/// The event log on LMDB: appends (validation, positions, hash chain, indexes, inline
/// projections) and reads. Thread-safe; writes are serialized by LMDB's write transaction.
final class LedgerStore: Sendable {
    let environment: Environment
    let layout: StoreLayout
    let path: String
    let isReadOnly: Bool
    /// The build maintained inline and answering queries.
    let activeBuild: BuildStorage

    /// Opens the ledger at `path`. With `create`, an absent or empty directory becomes a new
    /// ledger; otherwise it must hold one (`LedgerError.storeNotFound`). A directory this
    /// process cannot write is opened read-only (`MDB_RDONLY | MDB_NOLOCK`).
    init(path: String, create: Bool, mapSize: Int = 64 << 30) throws {
        let opened = try LedgerStore.openEnvironment(path: path, create: create, mapSize: mapSize)
        environment = opened.environment
        layout = opened.layout
        isReadOnly = opened.readOnly
        activeBuild = opened.build
        self.path = path
    }

    private static func openEnvironment(
        path: String, create: Bool, mapSize: Int
    ) throws -> (environment: Environment, layout: StoreLayout, readOnly: Bool, build: BuildStorage) {
        let dataFile = path + "/data.mdb"
        let exists = FileManager.default.fileExists(atPath: dataFile)
        if !exists && !create { throw LedgerError.storeNotFound(path: path) }
        var options = Environment.Options()
        options.mapSize = mapSize
        options.maxMapSize = max(mapSize, 1 << 42)
        options.maxDatabases = 64
        let writable = !exists || (access(path, W_OK) == 0 && access(dataFile, W_OK) == 0)
        options.readOnly = !writable
        options.create = create
        let environment: Environment
        let dbs: [Database]
        do {
            environment = try Environment.open(path: path, options: options)
            dbs = try environment.openDatabases(StoreLayout.names, create: writable)
        } catch {
            if error == .notFound { throw LedgerError.storeNotFound(path: path) }
            throw translate(error, path: path)
        }
        let layout = StoreLayout(dbs)
        let format = try readFormat(environment, layout)
        if let format, format > StoreLayout.formatVersion {
            throw LedgerError.unavailable(
                "\(path) is a ledger of format \(format); this ledger reads format \(StoreLayout.formatVersion) and older. Use a newer ledger binary")
        }
        if format == nil {
            guard writable else { throw LedgerError.storeNotFound(path: path) }
            try initialize(environment, layout)
        }
        let active = try readActiveBuild(environment, layout)
        let build = try BuildStorage(number: active, environment: environment, create: writable)
        return (environment, layout, !writable, build)
    }

    private static func readFormat(_ environment: Environment, _ layout: StoreLayout) throws -> UInt32? {
        let raw: [UInt8]? = try environment.read { txn in try txn.get(layout.meta, StoreLayout.formatKey) }
        guard let raw else { return nil }
        return UInt32(bigEndianBytes: raw)
    }

    private static func readActiveBuild(_ environment: Environment, _ layout: StoreLayout) throws -> UInt32 {
        let raw: [UInt8]? = try environment.read { txn in try txn.get(layout.meta, StoreLayout.activeBuildKey) }
        guard let raw, let number = UInt32(bigEndianBytes: raw) else { return 1 }
        return number
    }

    /// Writes the format version and build 1 into a new store.
    private static func initialize(_ environment: Environment, _ layout: StoreLayout) throws {
        let info = BuildInfo(
            number: 1, status: .ready, version: UInt32(BuiltInProjection.version),
            rulesID: BuiltInProjection.rulesID, checkpoint: 0, createdMicros: Clock.nowMicros())
        try environment.write { txn in
            try txn.put(layout.meta, StoreLayout.formatKey, StoreLayout.formatVersion.bigEndianBytes)
            try txn.put(layout.builds, UInt32(1).bigEndianBytes, info.bytes)
            try txn.put(layout.meta, StoreLayout.activeBuildKey, UInt32(1).bigEndianBytes)
        }
    }

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

    /// Positions in a campaign's stream (contact nil) or a contact's stream, in order.
    func streamPositions(campaign: String, contact: String?, _ txn: borrowing Transaction) throws -> [UInt64] {
        let prefix = contact.map { StoreLayout.contactStreamPrefix(campaign, $0) } ?? StoreLayout.campaignPrefix(campaign)
        let db = contact == nil ? layout.campaignStreams : layout.contactStreams
        var out: [UInt64] = []
        try txn.forEach(db, prefix: prefix) { key, _ in
            out.append(UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: key[prefix.count...]))!)
            return true
        }
        return out
    }

    func streamVersion(_ e: StreamExpectation, _ txn: borrowing Transaction) throws -> UInt64 {
        let prefix = e.contact.map { StoreLayout.contactStreamPrefix(e.campaign, $0) } ?? StoreLayout.campaignPrefix(e.campaign)
        let db = e.contact == nil ? layout.campaignStreams : layout.contactStreams
        guard let (key, _) = try txn.last(db, prefix: prefix), key.count == prefix.count + 8 else { return 0 }
        return UInt64(bigEndianBytes: Array(key[prefix.count...]))!
    }

    // MARK: Appending

    /// Appends requests in one write transaction (group commit). Each request is atomic: its
    /// result is its per-event outcomes, or the error that rejected all of it.
    func append(_ requests: [AppendRequest]) throws -> [Result<[AppendOutcome], LedgerError>] {
        guard !isReadOnly else {
            throw LedgerError.unavailable("\(path) is opened read-only; appends need a writable store")
        }
        do {
            return try environment.write { txn in try appendInTransaction(requests, txn) }
        } catch let e as LMDBError {
            throw LedgerStore.translate(e, path: path)
        }
    }

    private func appendInTransaction(
        _ requests: [AppendRequest], _ txn: borrowing Transaction
    ) throws -> [Result<[AppendOutcome], LedgerError>] {
        var head = try head(txn)
        var validator = Validator(layout: layout, head: head.position)
        var projection = ProjectionBatch(build: activeBuild, checkpoint: head.position)
        let recordedAt = max(Clock.nowMicros(), head.recordedAtMicros)
        var redeliveries = try txn.get(layout.meta, StoreLayout.redeliveryCountKey).flatMap { UInt64(bigEndianBytes: $0) } ?? 0
        var results: [Result<[AppendOutcome], LedgerError>] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            validator.beginRequest()
            var admitted: [Admission] = []
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
                        admitted.append(try validator.admit(event, txn))
                    } catch let e as InputError {
                        throw LedgerError.invalidInput(e, index: index + 1)
                    }
                }
            } catch let e as LedgerError {
                validator.rejectRequest()
                results.append(.failure(e))
                continue
            }
            validator.acceptRequest()
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(admitted.count)
            for (index, admission) in admitted.enumerated() {
                switch admission {
                case .append(let event, let position):
                    let record = try writeEvent(event, position: position, recordedAt: recordedAt, previous: head.hash, txn)
                    try projection.apply(record, txn)
                    head = LogHead(position: position, recordedAtMicros: recordedAt, hash: record.hash)
                    outcomes.append(.appended(position: position, id: event.id!))
                case .duplicate(let position):
                    redeliveries += 1
                    let side = Redelivery(
                        sequence: redeliveries, id: request.events[index].id!,
                        repeats: position, after: head.position, receivedMicros: recordedAt)
                    try txn.put(layout.redeliveries, redeliveries.bigEndianBytes, side.bytes)
                    outcomes.append(.duplicate(position: position, id: side.id))
                }
            }
            results.append(.success(outcomes))
        }
        for (id, entry) in validator.changedCampaigns {
            try txn.put(layout.registry, StoreLayout.registryCampaignKey(id), entry.bytes)
        }
        for (id, entry) in validator.changedContacts {
            try txn.put(layout.registry, StoreLayout.registryContactKey(id.campaign, id.contact), entry.bytes)
        }
        try projection.flush(txn)
        try setCheckpoint(activeBuild.number, projection.checkpoint, txn)
        try txn.put(layout.meta, StoreLayout.headKey, head.bytes)
        try txn.put(layout.meta, StoreLayout.redeliveryCountKey, redeliveries.bigEndianBytes)
        return results
    }

    /// Writes one event and its indexes; returns it as recorded (with its chain hash).
    private func writeEvent(
        _ event: Event, position: UInt64, recordedAt: Int64, previous: [UInt8], _ txn: borrowing Transaction
    ) throws -> RecordedEvent {
        var record = RecordedEvent(
            position: position, recordedAtMicros: recordedAt, event: event,
            addressSalt: event.type == .contactAdded ? Self.randomSalt() : nil, hash: [])
        record.hash = ExportLine.chain(previous: previous, digest: ExportLine.digest(record))
        let key = position.bigEndianBytes
        try txn.put(layout.events, key, EventRecord.encode(record), flags: .append)
        try txn.put(layout.eventIDs, Array(event.id!.utf8), key, flags: .noOverwrite)
        try txn.put(layout.campaignStreams, StoreLayout.streamEntry(StoreLayout.campaignPrefix(event.campaign), position), [])
        if let contact = event.contact, event.type.isContactEvent {
            try txn.put(
                layout.contactStreams,
                StoreLayout.streamEntry(StoreLayout.contactStreamPrefix(event.campaign, contact), position), [])
        }
        return record
    }

    func setCheckpoint(_ build: UInt32, _ checkpoint: UInt64, _ txn: borrowing Transaction) throws {
        let key = build.bigEndianBytes
        guard var info = try txn.get(layout.builds, key).flatMap({ b in b.withUnsafeBytes { BuildInfo(number: build, $0) } }) else {
            throw LedgerError.corrupted("build \(build) has no record in `builds`")
        }
        info.checkpoint = checkpoint
        try txn.put(layout.builds, key, info.bytes)
    }

    static func randomSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
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

/// A skipped re-delivery, kept in the side record `redeliveries` (domain.md §5): not in the log.
struct Redelivery: Sendable, Hashable {
    var sequence: UInt64
    var id: String
    /// The position of the event it repeats.
    var repeats: UInt64
    /// The highest position appended before it was received.
    var after: UInt64
    var receivedMicros: Int64

    var bytes: [UInt8] {
        [1] + repeats.bigEndianBytes + after.bigEndianBytes + receivedMicros.bigEndianBytes + Array(id.utf8)
    }

    init(sequence: UInt64, id: String, repeats: UInt64, after: UInt64, receivedMicros: Int64) {
        self.sequence = sequence
        self.id = id
        self.repeats = repeats
        self.after = after
        self.receivedMicros = receivedMicros
    }

    init?(_ b: UnsafeRawBufferPointer, sequence: UInt64 = 0) {
        guard b.count >= 25, b[0] == 1 else { return nil }
        repeats = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[1...]))!
        after = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[9...]))!
        receivedMicros = Int64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[17...]))!
        id = String(decoding: UnsafeRawBufferPointer(rebasing: b[25...]), as: UTF8.self)
        self.sequence = sequence
    }
}

/// Wall-clock time in microseconds since 1970 (UTC).
enum Clock {
    static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
