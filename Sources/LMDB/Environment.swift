internal import CLMDB
internal import Synchronization
#if canImport(Glibc)
    internal import Glibc
#endif

/// One LMDB environment: a directory holding `data.mdb` and `lock.mdb`.
///
/// Thread rules. LMDB allows one write transaction at a time per environment and, with
/// `MDB_NOTLS` (always set here), read transactions that are not tied to a thread. LMDB's docs:
/// "A transaction and its cursors must only be used by a single thread, and a thread may only
/// have a single transaction at a time" — so every transaction here is closure-scoped and
/// synchronous: it begins, runs and ends on one thread and can never be held across an `await`.
/// A write transaction started while the same thread already holds one would wait forever on
/// LMDB's writer mutex; that misuse stops the process with a clear precondition failure instead.
///
/// The map is grown automatically: on `MDB_MAP_FULL` the write transaction is aborted, the map
/// doubled while no transaction of this process is active, and the write closure run again (so
/// write closures must be re-runnable). `MDB_MAP_RESIZED` (another process grew it) is handled by
/// adopting the new size. `MDB_MAP_FULL` never reaches a caller unless the map cannot grow.
///
/// `@unchecked Sendable`: the mutable state (the writer thread, the map size) is guarded by
/// `gate`, and LMDB itself serializes writers.
public final class Environment: @unchecked Sendable {
    /// How to open an environment.
    public struct Options: Sendable {
        /// Initial map size in bytes (address space; the file grows only as used).
        public var mapSize: Int = 1 << 30
        /// The largest the map may grow to by doubling.
        public var maxMapSize: Int = 1 << 40
        public var maxDatabases: UInt32 = 32
        public var maxReaders: UInt32 = 254
        /// Open with `MDB_RDONLY | MDB_NOLOCK`: for evidence on read-only media. No writes, and
        /// the caller must make sure no other process writes meanwhile.
        public var readOnly = false
        /// Create the directory when it does not exist.
        public var create = true
        public init() {}
    }

    let env: OpaquePointer
    public let path: String
    public let options: Options
    private let gate = Gate()
    private var identity: FileIdentity?
    /// The named databases opened so far, by name; locked while databases are opened, so each is
    /// opened once.
    private let databases = Mutex<[String: Database]>([:])

    /// Opens the environment at `path`, or returns the one this process already has open for
    /// the same directory (keyed by device and inode): LMDB forbids opening one twice in a process.
    public static func open(path: String, options: Options = Options()) throws(LMDBError) -> Environment {
        if options.create && !options.readOnly {
            if mkdir(path, 0o755) != 0 && errno != EEXIST { try check(errno) }
        }
        let id = try FileIdentity(path: path)
        return try Registry.shared.openOrReuse(id) { () throws(LMDBError) in
            let environment = try Environment(path: path, options: options)
            environment.identity = id
            return environment
        }
    }

    private init(path: String, options: Options) throws(LMDBError) {
        var created: OpaquePointer?
        try check(mdb_env_create(&created))
        let env = created!  // set whenever mdb_env_create returns 0
        do {
            try check(mdb_env_set_maxdbs(env, options.maxDatabases))
            try check(mdb_env_set_maxreaders(env, options.maxReaders))
            try check(mdb_env_set_mapsize(env, options.mapSize))
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY | MDB_NOLOCK) }
            try check(mdb_env_open(env, path, flags, 0o644))
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        self.path = path
        self.options = options
        if !options.readOnly {
            var dead: Int32 = 0
            mdb_reader_check(env, &dead)  // clear reader slots left by killed processes
            staleReadersCleared = Int(dead)
        }
    }

    /// How many stale reader slots (of processes that died) were cleared when this opened.
    public private(set) var staleReadersCleared = 0

    deinit {
        if let identity { Registry.shared.forget(identity, self) }
        mdb_env_close(env)
    }

    // MARK: Databases

    /// Opens (and with `create`, creates) named databases in one transaction. Opening is cheap
    /// and idempotent; the handles stay valid while the environment is open.
    /// `kinds` names the databases that are not `.plain`; a database's kind is fixed when it is
    /// created and must be given the same on every open.
    public func openDatabases(
        _ names: [String], create: Bool, kinds: [String: DatabaseKind] = [:]
    ) throws(LMDBError) -> [Database] {
        try databases.withLock { (databases) throws(LMDBError) -> [Database] in
            try openDatabases(names, create: create, kinds: kinds, known: &databases)
        }
    }

    /// Forgets the handle of a database dropped with `Transaction.drop` (after that transaction
    /// committed), so a later `openDatabases` of the name opens it afresh.
    public func forgetDatabase(_ name: String) {
        databases.withLock { _ = $0.removeValue(forKey: name) }
    }

    private func openDatabases(
        _ names: [String], create: Bool, kinds: [String: DatabaseKind], known databases: inout [String: Database]
    ) throws(LMDBError) -> [Database] {
        if names.allSatisfy({ databases[$0] != nil }) { return names.map { databases[$0]! } }
        let writable = create && !options.readOnly
        gate.enterShared()
        defer { gate.leaveShared() }
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, writable ? 0 : UInt32(MDB_RDONLY), &txn))
        var opened: [Database] = []
        for name in names {
            var dbi: MDB_dbi = 0
            do {
                let kind = kinds[name]?.flags ?? 0
                try check(mdb_dbi_open(txn, name, (writable ? UInt32(MDB_CREATE) : 0) | kind, &dbi))
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            opened.append(Database(dbi: dbi, name: name))
        }
        try check(mdb_txn_commit(txn))
        for db in opened { databases[db.name] = db }
        return opened
    }

    /// Whether a named database exists (without creating it).
    public func databaseExists(_ name: String) throws(LMDBError) -> Bool {
        do {
            _ = try openDatabases([name], create: false)
            return true
        } catch where error == .notFound {
            return false
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction (a consistent snapshot). Keep it short: a long reader
    /// keeps old pages alive and makes the file grow behind it.
    @available(*, noasync, message: "transactions are synchronous and cannot cross an await")
    public func read<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        let txn = try begin(flags: UInt32(MDB_RDONLY))
        defer {
            mdb_txn_abort(txn)
            gate.leaveShared()
        }
        return try body(Transaction(txn: txn, writable: false))
    }

    /// Begins a transaction with the gate held shared (the caller leaves it when the
    /// transaction ends), first adopting a map size grown by another process.
    private func begin(flags: UInt32) throws(LMDBError) -> OpaquePointer {
        while true {
            gate.enterShared()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, flags, &txn)
            if rc == MDB_MAP_RESIZED {
                gate.leaveShared()
                try adoptNewMapSize()
                continue
            }
            do {
                try check(rc)
            } catch {
                gate.leaveShared()
                throw error
            }
            return txn!
        }
    }

    /// Runs `body` in the write transaction and commits it when `body` returns; aborts it when
    /// `body` throws. `body` may run more than once (after the map grows), so it must not have
    /// effects outside the transaction that cannot be repeated. A successful return means the
    /// commit is on disk (LMDB's default sync).
    @available(*, noasync, message: "transactions are synchronous and cannot cross an await")
    public func write<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        precondition(!options.readOnly, "write transaction on a read-only LMDB environment")
        precondition(
            !gate.isWriter(pthread_self()),
            "nested write transaction: this thread already holds the LMDB write transaction of \(path)")
        while true {
            let txn = try begin(flags: 0)
            gate.setWriter(pthread_self())
            let result: R
            do {
                result = try body(Transaction(txn: txn, writable: true))
            } catch let error as LMDBError where error == .mapFull {
                mdb_txn_abort(txn)
                gate.setWriter(nil)
                gate.leaveShared()
                try growMap()
                continue
            } catch {
                mdb_txn_abort(txn)
                gate.setWriter(nil)
                gate.leaveShared()
                throw error
            }
            let commit = mdb_txn_commit(txn)
            gate.setWriter(nil)
            gate.leaveShared()
            if commit == MDB_MAP_FULL {
                try growMap()
                continue
            }
            try check(diskFullAsENOSPC(commit))
            return result
        }
    }

    /// LMDB 0.9.24 reports a commit whose page write came up short as `EIO` (`mdb_page_flush`:
    /// "short write, filesystem full?"): that is how a disk that fills up in the middle of a
    /// commit shows. When the filesystem holding the store is (nearly) full afterwards, the code
    /// becomes `ENOSPC`, so callers can say what happened; a real I/O error stays `EIO`.
    private func diskFullAsENOSPC(_ rc: Int32) -> Int32 {
        guard rc == EIO else { return rc }
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return rc }
        let freeBytes = UInt64(fs.f_bfree) * UInt64(fs.f_frsize)
        return freeBytes < 1 << 20 ? ENOSPC : rc
    }

    // MARK: Map size

    /// Doubles the map while no transaction of this process is active.
    private func growMap() throws(LMDBError) {
        gate.enterExclusive()
        defer { gate.leaveExclusive() }
        let current = info().mapSize
        guard current < options.maxMapSize else { throw LMDBError.mapFull }
        try check(mdb_env_set_mapsize(env, min(current * 2, options.maxMapSize)))
    }

    /// Adopts a map size set by another process (`mdb_env_set_mapsize(env, 0)`).
    private func adoptNewMapSize() throws(LMDBError) {
        gate.enterExclusive()
        defer { gate.leaveExclusive() }
        try check(mdb_env_set_mapsize(env, 0))
    }

    // MARK: Information and maintenance

    /// Environment information (`mdb_env_info`).
    public struct Info: Sendable {
        public var mapSize: Int
        public var lastPage: Int
        public var lastTransaction: Int
        public var maxReaders: Int
        public var readers: Int
        public var pageSize: Int
        /// Bytes of the map in use: (last page + 1) × page size.
        public var usedBytes: Int { (lastPage + 1) * pageSize }
    }

    public func info() -> Info {
        var i = MDB_envinfo()
        mdb_env_info(env, &i)
        var s = MDB_stat()
        mdb_env_stat(env, &s)
        return Info(
            mapSize: i.me_mapsize, lastPage: i.me_last_pgno, lastTransaction: i.me_last_txnid,
            maxReaders: Int(i.me_maxreaders), readers: Int(i.me_numreaders),
            pageSize: Int(s.ms_psize))
    }

    /// Clears reader slots of processes that no longer exist; returns how many.
    @discardableResult
    public func clearStaleReaders() -> Int {
        guard !options.readOnly else { return 0 }
        var dead: Int32 = 0
        mdb_reader_check(env, &dead)
        return Int(dead)
    }

    /// A consistent copy of the whole environment into the directory `destination` (which
    /// must exist and be empty), compacted (`mdb_env_copy2` with `MDB_CP_COMPACT`). Runs as a
    /// read transaction: writers go on meanwhile.
    public func copy(to destination: String, compact: Bool = true) throws(LMDBError) {
        try check(mdb_env_copy2(env, destination, compact ? UInt32(MDB_CP_COMPACT) : 0))
    }

    /// A copy of every named database into a new environment at `destination` (an existing,
    /// empty directory), record by record, in key order, from one read snapshot; `entries`
    /// records per write transaction. Unlike `copy(compact:)`, which copies whole pages with
    /// whatever a page's free space still holds, the new file holds the records and nothing
    /// else: bytes deleted or overwritten before are not carried over. Each database keeps its
    /// flags (sorted duplicates and the like).
    public func copyRecords(to destination: String, entries: Int = 100_000) throws(LMDBError) {
        var created: OpaquePointer?
        try check(mdb_env_create(&created))
        let out = created!
        defer { mdb_env_close(out) }
        try check(mdb_env_set_maxdbs(out, options.maxDatabases))
        try check(mdb_env_set_mapsize(out, max(options.mapSize, info().usedBytes * 2)))
        try check(mdb_env_open(out, destination, UInt32(MDB_NOTLS), 0o644))
        var source: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &source))
        defer { mdb_txn_abort(source) }
        // The main database's keys name the named databases.
        var main: MDB_dbi = 0
        try check(mdb_dbi_open(source, nil, 0, &main))
        var names: [String] = []
        try Self.forEachEntry(source, main) { key, _ in
            names.append(String(decoding: UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size), as: UTF8.self))
        }
        var target: OpaquePointer?
        try check(mdb_txn_begin(out, nil, 0, &target))
        var inTransaction = 0
        do throws(LMDBError) {
            for name in names {
                var from: MDB_dbi = 0
                let rc = mdb_dbi_open(source, name, 0, &from)
                if rc == MDB_INCOMPATIBLE { continue }  // a plain key of the main database
                try check(rc)
                var flags: UInt32 = 0
                try check(mdb_dbi_flags(source, from, &flags))
                let kept = flags & UInt32(MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERKEY | MDB_REVERSEKEY | MDB_INTEGERDUP | MDB_REVERSEDUP)
                var to: MDB_dbi = 0
                try check(mdb_dbi_open(target, name, UInt32(MDB_CREATE) | kept, &to))
                let putFlags = kept & UInt32(MDB_DUPSORT) != 0 ? UInt32(MDB_APPENDDUP) : UInt32(MDB_APPEND)
                try Self.forEachEntry(source, from) { key, value throws(LMDBError) in
                    var k = key
                    var v = value
                    try check(mdb_put(target, to, &k, &v, putFlags))
                    inTransaction += 1
                    if inTransaction >= entries {
                        try check(mdb_txn_commit(target))
                        target = nil
                        try check(mdb_txn_begin(out, nil, 0, &target))
                        inTransaction = 0
                    }
                }
            }
            try check(mdb_txn_commit(target))
            target = nil
        } catch {
            if target != nil { mdb_txn_abort(target) }
            throw error
        }
        try check(mdb_env_sync(out, 1))
    }

    /// Calls `body` with every entry of `dbi`, in order.
    private static func forEachEntry(
        _ txn: OpaquePointer?, _ dbi: MDB_dbi, _ body: (MDB_val, MDB_val) throws(LMDBError) -> Void
    ) throws(LMDBError) {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        while rc == 0 {
            try body(k, v)
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try check(rc) }
    }

    /// Flushes to disk (only needed with non-default sync settings).
    public func sync() throws(LMDBError) { try check(mdb_env_sync(env, 1)) }
}

/// A process-wide registry of open environments keyed by the directory's device and inode.
private final class Registry: Sendable {
    static let shared = Registry()
    private final class WeakBox { weak var environment: Environment? ; init(_ e: Environment) { environment = e } }
    private let open = Mutex<[FileIdentity: WeakBox]>([:])

    func openOrReuse(
        _ id: FileIdentity, make: () throws(LMDBError) -> Environment
    ) throws(LMDBError) -> Environment {
        try open.withLock { (open) throws(LMDBError) -> Environment in
            if let existing = open[id]?.environment { return existing }
            let environment = try make()
            open[id] = WeakBox(environment)
            return environment
        }
    }

    func forget(_ id: FileIdentity, _ environment: Environment) {
        open.withLock { open in
            if let box = open[id], box.environment == nil || box.environment === environment {
                open[id] = nil
            }
        }
    }
}

/// A directory's identity: device and inode.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(path: String) throws(LMDBError) {
        var s = stat()
        if stat(path, &s) != 0 { try check(errno) }
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
    }
}

/// Shared for every transaction, exclusive for changing the map size (LMDB requires that no
/// transaction of the process is active then); also remembers which thread holds the write
/// transaction, to catch a nested write before it deadlocks.
final class Gate: @unchecked Sendable {
    private var rw = pthread_rwlock_t()
    private let writer = Mutex<pthread_t?>(nil)

    init() { pthread_rwlock_init(&rw, nil) }
    deinit { pthread_rwlock_destroy(&rw) }
    func enterShared() { pthread_rwlock_rdlock(&rw) }
    func leaveShared() { pthread_rwlock_unlock(&rw) }
    func enterExclusive() { pthread_rwlock_wrlock(&rw) }
    func leaveExclusive() { pthread_rwlock_unlock(&rw) }

    func setWriter(_ thread: sending pthread_t?) {
        writer.withLock { $0 = thread }
    }

    func isWriter(_ thread: sending pthread_t) -> Bool {
        writer.withLock { writer in
            guard let writer else { return false }
            return pthread_equal(writer, thread) != 0
        }
    }
}
