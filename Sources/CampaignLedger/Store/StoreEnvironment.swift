import LMDB

/// The store's LMDB environment as the library uses it: the same calls as `Environment`, but an
/// LMDB error that ends one (a full disk, a read-only file, a damaged page) leaves it as the
/// `LedgerError` it means (`LedgerStore.translate`). Every transaction of the library goes
/// through here, so appends, imports, rebuilds, catch-ups, activations and drops all report a
/// full disk the same way, and no `LMDBError` reaches a caller of `Ledger`.
struct StoreEnvironment: Sendable {
    /// The environment itself, for what needs the raw error (backup names its destination).
    let lmdb: Environment
    let path: String

    @available(*, noasync, message: "transactions are synchronous and cannot cross an await")
    func read<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        try translated { try lmdb.read(body) }
    }

    /// `Environment.write`: the map still grows inside it; errors leave translated.
    @available(*, noasync, message: "transactions are synchronous and cannot cross an await")
    func write<R>(_ body: (borrowing Transaction) throws -> R) throws -> R {
        try translated { try lmdb.write(body) }
    }

    func openDatabases(_ names: [String], create: Bool) throws -> [Database] {
        try translated { try lmdb.openDatabases(names, create: create) }
    }

    func info() -> Environment.Info { lmdb.info() }

    /// Runs `body`, turning an `LMDBError` it throws into the `LedgerError` it means; other
    /// errors pass unchanged.
    func translated<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LMDBError {
            throw LedgerStore.translate(error, path: path)
        }
    }
}
