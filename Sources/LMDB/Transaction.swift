internal import CLMDB

/// A transaction, lent to the closure of `Environment.read` or `Environment.write`.
///
/// `~Copyable` and only ever `borrowing`: it cannot escape its closure, so it is always ended
/// (committed or aborted) by the environment on the thread that began it. Byte buffers returned
/// by `get` and cursors point into the memory map and are valid only inside the closure.
public struct Transaction: ~Copyable {
    let txn: OpaquePointer
    /// Whether this is the write transaction.
    public let isWritable: Bool

    init(txn: OpaquePointer, writable: Bool) {
        self.txn = txn
        self.isWritable = writable
    }

    // MARK: Reading

    /// The value stored under `key`, as bytes inside the map (valid until the transaction ends),
    /// or nil when there is none.
    public func get(_ db: Database, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(txn, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// The value stored under `key`, copied, or nil.
    public func get(_ db: Database, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { k in try get(db, k).map { Array($0) } }
    }

    /// Whether `key` has a value.
    public func contains(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k in try get(db, k) != nil }
    }

    /// Statistics of one database.
    public func statistics(_ db: Database) throws -> DatabaseStatistics {
        var s = MDB_stat()
        try check(mdb_stat(txn, db.dbi, &s))
        return DatabaseStatistics(
            entries: s.ms_entries, depth: Int(s.ms_depth), branchPages: s.ms_branch_pages,
            leafPages: s.ms_leaf_pages, overflowPages: s.ms_overflow_pages, pageSize: Int(s.ms_psize))
    }

    /// LMDB's id of this transaction: it grows with every committed write.
    public var id: Int { mdb_txn_id(txn) }

    // MARK: Writing

    /// Stores `value` under `key`. Keys are 1–511 bytes.
    public func put(
        _ db: Database, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer,
        flags: PutFlags = []
    ) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(txn, db.dbi, &k, &v, flags.rawValue))
    }

    /// Stores `value` under `key`.
    public func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try put(db, k, v, flags: flags) }
        }
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, _ key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(txn, db.dbi, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    @discardableResult
    public func delete(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k in try delete(db, k) }
    }

    /// In a database with sorted duplicates, deletes one value of `key` (`delete(_:_:)` deletes
    /// them all); returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, _ key: [UInt8], value: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kb in
            try value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                let rc = mdb_del(txn, db.dbi, &k, &v)
                if rc == MDB_NOTFOUND { return false }
                try check(rc)
                return true
            }
        }
    }

    /// Empties a database (keeps it).
    public func clear(_ db: Database) throws {
        try check(mdb_drop(txn, db.dbi, 0))
    }

    /// Deletes a database and its name. Its handle must not be used again in this process.
    public func drop(_ db: Database) throws {
        try check(mdb_drop(txn, db.dbi, 1))
    }

    // MARK: Cursors

    /// Runs `body` with a cursor over `db`, closed when `body` returns.
    public func withCursor<R>(
        _ db: Database, _ body: (inout Cursor) throws -> R
    ) throws -> R {
        var c: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &c))
        guard let c else { throw LMDBError.badTransaction }
        var cursor = Cursor(cursor: c)
        defer { mdb_cursor_close(c) }
        return try body(&cursor)
    }

    /// Calls `body` for each entry whose key starts with `prefix`, in key order, starting at the
    /// first key ≥ `from` (default: the prefix itself). `body` returns false to stop.
    public func forEach(
        _ db: Database, prefix: [UInt8] = [], from start: [UInt8]? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            var entry = try cursor.seek(atOrAfter: start ?? prefix)
            while let (key, value) = entry {
                guard key.starts(with: prefix) else { return }
                guard try body(key, value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// The last entry whose key starts with `prefix`, or nil.
    public func last(
        _ db: Database, prefix: [UInt8]
    ) throws -> (key: [UInt8], value: [UInt8])? {
        try withCursor(db) { cursor in
            let entry: (UnsafeRawBufferPointer, UnsafeRawBufferPointer)?
            if let bound = Self.successor(of: prefix) {
                entry = try cursor.seek(atOrAfter: bound) != nil ? try cursor.previous() : try cursor.last()
            } else {
                entry = try cursor.last()
            }
            guard let (key, value) = entry, key.starts(with: prefix) else { return nil }
            return (Array(key), Array(value))
        }
    }

    /// The smallest byte string greater than every string that starts with `prefix`, or nil
    /// when there is none (empty or all 0xFF).
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let lastByte = bound.last {
            if lastByte < 0xFF {
                bound[bound.count - 1] = lastByte + 1
                return bound
            }
            bound.removeLast()
        }
        return nil
    }
}

/// A cursor, lent to the closure of `Transaction.withCursor`. Returned buffers are valid until
/// the cursor moves or the transaction ends.
public struct Cursor: ~Copyable {
    let cursor: OpaquePointer

    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    private func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    public func first() throws -> Entry? { try move(MDB_FIRST) }
    public func last() throws -> Entry? { try move(MDB_LAST) }
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    public func previous() throws -> Entry? { try move(MDB_PREV) }

    /// Positions at the first key ≥ `key` (the first entry when `key` is empty).
    public func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        if key.isEmpty { return try first() }
        return try key.withUnsafeBytes { k in try move(MDB_SET_RANGE, key: k) }
    }

    /// Positions at exactly `key`.
    public func seek(exactly key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { k in try move(MDB_SET_KEY, key: k) }
    }

    // In a database with sorted duplicates (`DatabaseKind.sortedFixedSizeDuplicates`):

    /// Positions at exactly `key` holding exactly `value` (`MDB_GET_BOTH`).
    public func seek(exactly key: [UInt8], value: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var vv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                let rc = mdb_cursor_get(cursor, &kv, &vv, MDB_GET_BOTH)
                if rc == MDB_NOTFOUND { return nil }
                try check(rc)
                return (UnsafeRawBufferPointer(start: kv.mv_data, count: kv.mv_size),
                        UnsafeRawBufferPointer(start: vv.mv_data, count: vv.mv_size))
            }
        }
    }

    /// The next value of the current key, or nil after its last (`MDB_NEXT_DUP`).
    public func nextDuplicate() throws -> Entry? { try move(MDB_NEXT_DUP) }
    /// The last value of the current key (`MDB_LAST_DUP`).
    public func lastDuplicate() throws -> Entry? { try move(MDB_LAST_DUP) }
    /// The first value of the next key (`MDB_NEXT_NODUP`).
    public func nextKey() throws -> Entry? { try move(MDB_NEXT_NODUP) }

    /// Every value of the current key, a page of them at a time, packed (`MDB_GET_MULTIPLE` then
    /// `MDB_NEXT_MULTIPLE`): `body` gets each block and returns false to stop. The cursor must be
    /// at the key's first value (as `seek(exactly:)` leaves it). For fixed-size duplicates only.
    public func forEachDuplicateBlock(_ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        var op = MDB_GET_MULTIPLE
        while true {
            var k = MDB_val()
            var v = MDB_val()
            let rc = mdb_cursor_get(cursor, &k, &v, op)
            if rc == MDB_NOTFOUND { return }
            try check(rc)
            if op == MDB_GET_MULTIPLE && v.mv_data == nil {
                // A key with one value keeps it in its node, without a duplicate page: LMDB's
                // MDB_GET_MULTIPLE then succeeds without returning anything. That value is the
                // cursor's current one.
                if let (_, value) = try move(MDB_GET_CURRENT) { _ = try body(value) }
                return
            }
            guard try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) else { return }
            op = MDB_NEXT_MULTIPLE
        }
    }

    /// Stores `value` under `key` and leaves the cursor there (`mdb_cursor_put`). A bulk load
    /// appends through one cursor: with `.append`, the cursor stays on the last leaf, where
    /// `Transaction.put` makes a cursor for every call and walks down from the root each time.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, flags: PutFlags = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(cursor, &k, &v, flags.rawValue))
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes begin with `prefix`.
    @inlinable
    public func starts(with prefix: [UInt8]) -> Bool {
        guard count >= prefix.count else { return false }
        for i in 0..<prefix.count where self[i] != prefix[i] { return false }
        return true
    }
}

extension Transaction {
    /// A copyable view of this transaction for code that cannot take a `borrowing` value (a
    /// callback stored in a type). **Unsafe**: it must not be used after the closure that lent
    /// this transaction returns — the caller wraps it in a `~Copyable` type that cannot escape.
    public var unsafeHandle: UnsafeTransactionHandle { UnsafeTransactionHandle(txn: txn) }
}

/// See `Transaction.unsafeHandle`: the same operations, without the borrow checking.
public struct UnsafeTransactionHandle {
    let txn: OpaquePointer

    public func get(_ db: Database, _ key: [UInt8]) throws -> [UInt8]? {
        var k = MDB_val()
        var v = MDB_val()
        return try key.withUnsafeBytes { kb in
            k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            let rc = mdb_get(txn, db.dbi, &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc)
            return Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    public func put(_ db: Database, _ key: [UInt8], _ value: [UInt8]) throws {
        try key.withUnsafeBytes { kb in
            try value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                try check(mdb_put(txn, db.dbi, &k, &v, 0))
            }
        }
    }

    @discardableResult
    public func delete(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            let rc = mdb_del(txn, db.dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc)
            return true
        }
    }
}
