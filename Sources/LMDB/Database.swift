internal import CLMDB

/// A named database inside an environment (LMDB's `MDB_dbi`), opened once with
/// `Environment.openDatabases`. Keys sort by their bytes (memcmp), so integer keys are written
/// big-endian to sort numerically.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
    /// The name it was opened with.
    public let name: String
}

/// Flags for `Transaction.put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with `.keyExists` instead of overwriting. The corresponding C constant is `MDB_NOOVERWRITE`.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key (fast bulk load); `.keyExists` otherwise.
    /// The corresponding C constant is `MDB_APPEND`.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// Statistics of one database (`mdb_stat`).
public struct DatabaseStatistics: Sendable, Hashable {
    public var entries: Int
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    public var pageSize: Int

    /// Pages in use times the page size.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
