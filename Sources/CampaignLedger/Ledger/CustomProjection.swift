import LMDB

/// A projection an embedder adds to the ledger: its own key-value space, fed every event in
/// position order, with the same machinery as the built-in projections — builds with a
/// checkpoint written in the same transaction as the data (exactly once), inline maintenance on
/// append, catch-up on open, `rebuild`, fingerprints, activation. docs/custom-projections.md has
/// a complete example.
public protocol LedgerProjection: Sendable {
    /// A stable, unique name (e.g. `opt-outs`).
    var name: String { get }
    /// A number for people (shown by `builds()`).
    var version: Int { get }
    /// Names the rules of `apply`: change it whenever `apply` would compute something else from
    /// the same events. A new `rulesID` gets a new build, folded from position 1 on open.
    var rulesID: String { get }
    /// Applies the next event of the log to the projection's key-value space. Called inside the
    /// ledger's write transaction; throwing aborts that transaction (and the append with it), so
    /// only throw for real faults.
    func apply(_ event: RecordedEvent, to state: inout ProjectionState) throws
}

/// A custom projection's key-value space inside one build, lent to `LedgerProjection.apply`.
/// `~Copyable` and only lent: it cannot outlive the transaction it reads and writes through.
public struct ProjectionState: ~Copyable {
    let handle: UnsafeTransactionHandle
    let db: Database
    var fingerprint: Fingerprint

    /// The value stored under `key` (1–511 bytes), or nil.
    public func get(_ key: [UInt8]) throws -> [UInt8]? { try handle.get(db, key) }

    /// Stores `value` under `key` (1–511 bytes).
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) throws {
        if let old = try handle.get(db, key) { fingerprint.subtract(.term(key, old)) }
        try handle.put(db, key, value)
        fingerprint.add(.term(key, value))
    }

    /// Deletes `key`.
    public mutating func delete(_ key: [UInt8]) throws {
        if let old = try handle.get(db, key) {
            fingerprint.subtract(.term(key, old))
            try handle.delete(db, key)
        }
    }

    // Conveniences for the common case of string keys and integer counters.

    public func get(_ key: String) throws -> [UInt8]? { try get(Array(key.utf8)) }
    public mutating func put(_ key: String, _ value: [UInt8]) throws { try put(Array(key.utf8), value) }

    /// Adds `delta` to the big-endian Int64 counter under `key` (absent = 0); returns the new value.
    @discardableResult
    public mutating func add(_ delta: Int64, to key: String) throws -> Int64 {
        let current = try get(key).flatMap { Int64(bigEndianBytes: $0) } ?? 0
        try put(key, (current + delta).bigEndianBytes)
        return current + delta
    }
}

/// Applies events to one build of a custom projection.
final class CustomBatch {
    let projection: any LedgerProjection
    let db: Database
    private(set) var info: BuildInfo

    init(projection: any LedgerProjection, db: Database, info: BuildInfo) {
        self.projection = projection
        self.db = db
        self.info = info
    }

    func apply(_ record: RecordedEvent, _ txn: borrowing Transaction) throws {
        var state = ProjectionState(handle: txn.unsafeHandle, db: db, fingerprint: info.fingerprint)
        try projection.apply(record, to: &state)
        info.fingerprint = state.fingerprint
        info.checkpoint = record.position
    }

    func flush(_ txn: borrowing Transaction, layout: StoreLayout) throws {
        try txn.put(layout.builds, info.number.bigEndianBytes, info.bytes)
    }
}

/// One build being applied to: the built-in projections or a custom one.
enum BuildApplier {
    case builtIn(ProjectionBatch)
    case custom(CustomBatch)

    /// The batches are classes: applying mutates them in place (an enum payload of structs
    /// would copy their caches on every event).
    func apply(_ record: RecordedEvent, _ txn: borrowing Transaction) throws {
        switch self {
        case .builtIn(let b): try b.apply(record, txn)
        case .custom(let c): try c.apply(record, txn)
        }
    }

    func flush(_ txn: borrowing Transaction, layout: StoreLayout) throws {
        switch self {
        case .builtIn(let b): try b.flush(txn, layout: layout)
        case .custom(let c): try c.flush(txn, layout: layout)
        }
    }

    var info: BuildInfo {
        switch self {
        case .builtIn(let b): b.currentInfo
        case .custom(let c): c.info
        }
    }
}
